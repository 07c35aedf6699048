package io.apilb.sim;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A simulated apiserver's listening socket and the event loops behind it and its connections. It
 * can be closed and bound again any number of times; after the first bind to port 0 it keeps the
 * port the system chose, so a restarted apiserver comes back where its clients expect it.
 */
final class ApiserverListener {
  private final String name;
  private final String bindAddress;
  private final ChannelHandler connectionSetup;
  private final EventLoopGroup group;
  private volatile int port;
  private volatile Channel channel;

  ApiserverListener(String name, String bindAddress, int port, int threads, ChannelHandler connectionSetup) {
    this.name = name;
    this.bindAddress = bindAddress;
    this.port = port;
    this.connectionSetup = connectionSetup;
    this.group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
  }

  /** Binds, unless already listening. */
  void bind() {
    if (channel != null && channel.isOpen()) {
      return;
    }
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 128)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(connectionSetup);
    try {
      channel = b.bind(bindAddress, port).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted binding " + name, e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot bind " + name + " to " + bindAddress + ":" + port + ": " + e, e);
    }
    port = ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Closes the listening socket (new connections are refused); open connections stay. */
  void unbind() {
    Channel l = channel;
    if (l != null) {
      l.close().syncUninterruptibly();
    }
  }

  boolean isOpen() {
    Channel l = channel;
    return l != null && l.isOpen();
  }

  int port() {
    return port;
  }

  /** Releases the event loops, ending whatever still runs on them. */
  void shutdown() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
