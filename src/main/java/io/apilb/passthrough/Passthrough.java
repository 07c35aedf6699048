package io.apilb.passthrough;

import io.apilb.backend.BackendSet;
import io.apilb.balancing.Balancer;
import io.apilb.config.PassthroughConfig;
import io.apilb.metrics.ApilbMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * TLS passthrough: for a ClientHello that names one of the configured server names, the listener
 * hands the connection here instead of terminating TLS. Each such connection gets a dedicated TCP
 * connection to one ready backend (chosen like a watch: by the long-running balancer) on the
 * client's event loop, and the bytes are relayed unchanged in both directions, each side reading
 * only once its last write to the other succeeded. The backend counts the connection as one
 * long-running request while it lasts, so balancing, {@code /backends} and the in-flight and
 * long-running gauges see it; drained and unhealthy backends get no new ones.
 */
public final class Passthrough {
  /** No names: every ClientHello is terminated. */
  public static final Passthrough OFF = new Passthrough(PassthroughConfig.OFF, null, null, null, null, null, null);

  private final PassthroughConfig config;
  private final BackendSet backends;
  private final Supplier<Balancer> balancer;
  private final ApilbMetrics metrics;
  private final Supplier<Duration> connectTimeout;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;

  /**
   * @param balancer the current balancer (it changes with a configuration reload)
   * @param connectTimeout the current {@code apilb.proxy.connect-timeout}
   * @param channelClass the client channels' class, so backend channels can share their event loop
   * @param resolver a non-blocking resolver for backend host names
   */
  public Passthrough(PassthroughConfig config, BackendSet backends, Supplier<Balancer> balancer, ApilbMetrics metrics,
      Supplier<Duration> connectTimeout, Class<? extends SocketChannel> channelClass,
      AddressResolverGroup<InetSocketAddress> resolver) {
    this.config = config;
    this.backends = backends;
    this.balancer = balancer;
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  /** Whether a ClientHello naming {@code serverName} (null: no SNI) is passed through. */
  public boolean wants(String serverName) {
    return config.serverNames().matches(serverName);
  }

  /** The client-side handler of one passed-through connection; it connects to a backend when added. */
  public ChannelHandler newClientHandler() {
    return new PassthroughClientHandler(this);
  }

  BackendSet backends() {
    return backends;
  }

  Balancer balancer() {
    return balancer.get();
  }

  ApilbMetrics metrics() {
    return metrics;
  }

  Duration connectTimeout() {
    return connectTimeout.get();
  }

  Class<? extends SocketChannel> channelClass() {
    return channelClass;
  }

  AddressResolverGroup<InetSocketAddress> resolver() {
    return resolver;
  }
}
