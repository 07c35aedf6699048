package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One {@link BackendPool} per event loop per backend. The per-loop maps are touched only by
 * their own loop; the TLS context is swapped atomically on certificate rotation and used by new
 * connections only, so open connections and watches are never dropped by a rotation.
 */
public final class BackendPools {
  private final ConcurrentHashMap<EventLoop, Map<Backend, BackendPool>> byLoop = new ConcurrentHashMap<>();
  private final AtomicReference<SslContext> sslContext;
  private final AtomicReference<PoolSettings> settings;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;

  public BackendPools(SslContext sslContext, PoolSettings settings,
      Class<? extends SocketChannel> channelClass, AddressResolverGroup<InetSocketAddress> resolver) {
    this.sslContext = new AtomicReference<>(sslContext);
    this.settings = new AtomicReference<>(settings);
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  /** The pool of {@code backend} on {@code loop}; call on {@code loop}. */
  public BackendPool pool(EventLoop loop, Backend backend) {
    Map<Backend, BackendPool> pools = byLoop.computeIfAbsent(loop, l -> new HashMap<>());
    return pools.computeIfAbsent(backend,
        b -> new BackendPool(loop, b, settings::get, sslContext.get(), channelClass, resolver));
  }

  /** New connections and releases use {@code next} (reload). */
  public void updateSettings(PoolSettings next) {
    settings.set(next);
  }

  /** New connections use {@code next}; pooled ones are retired so they reconnect with it. */
  public void rotateSslContext(SslContext next) {
    sslContext.set(next);
    byLoop.forEach((loop, pools) -> loop.execute(() -> {
      pools.values().forEach(BackendPool::close);
      pools.clear();
    }));
  }

  /** Closes the idle connections of backends no longer configured. */
  public void retain(java.util.Set<Backend> current) {
    byLoop.forEach((loop, pools) -> loop.execute(() -> pools.entrySet().removeIf(e -> {
      if (!current.contains(e.getKey())) {
        e.getValue().close();
        return true;
      }
      return false;
    })));
  }

  public void close() {
    byLoop.forEach((loop, pools) -> {
      if (!loop.isShuttingDown()) {
        loop.execute(() -> pools.values().forEach(BackendPool::close));
      }
    });
  }
}
