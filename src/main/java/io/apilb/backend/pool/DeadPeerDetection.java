package io.apilb.backend.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * TCP keepalive and user timeout on backend connections, so a backend that vanished without a
 * FIN or RST (power loss, a partition) is noticed within the configured time even under a watch
 * or tunnel that carries no data; the system default keepalive takes two hours and
 * retransmissions about fifteen minutes.
 */
final class DeadPeerDetection {
  private DeadPeerDetection() {}

  /** Idle for half the time, then three probes spread over the rest. */
  static void apply(Bootstrap b, Class<? extends SocketChannel> channelClass, Duration within) {
    if (within.isZero()) {
      return;
    }
    int total = (int) Math.max(3, within.toSeconds());
    int idle = Math.max(1, total / 2);
    int interval = Math.max(1, (total - idle) / 3);
    if (EpollSocketChannel.class.isAssignableFrom(channelClass)) {
      b.option(EpollChannelOption.TCP_KEEPIDLE, idle)
          .option(EpollChannelOption.TCP_KEEPINTVL, interval)
          .option(EpollChannelOption.TCP_KEEPCNT, 3)
          .option(EpollChannelOption.TCP_USER_TIMEOUT, total * 1000);
    } else {
      b.option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), idle)
          .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), interval)
          .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), 3);
    }
  }
}
