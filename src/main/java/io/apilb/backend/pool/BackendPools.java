package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One {@link BackendPool} per event loop per backend per {@link ConnectionKind}. The per-loop
 * maps are touched only by their own loop; each kind's TLS context is swapped atomically on
 * certificate rotation and used by new connections only, so open connections and watches are
 * never dropped by a rotation.
 */
public final class BackendPools implements BackendConnector {
  /**
   * Backends are compared by identity: snapshots share one {@code Backend} instance per backend
   * (a reload keeps it when nothing changed), and hashing the record per request was measurable.
   */
  private record Key(Backend backend, ConnectionKind kind) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.backend == backend && k.kind == kind;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(backend) * 31 + kind.ordinal();
    }
  }

  private final ConcurrentHashMap<EventLoop, Map<Key, BackendPool>> byLoop = new ConcurrentHashMap<>();
  private final Map<ConnectionKind, AtomicReference<SslContext>> sslContexts = new EnumMap<>(ConnectionKind.class);
  private final AtomicReference<PoolSettings> settings;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;

  /**
   * @param plain context of connections without a client certificate
   * @param frontProxy context presenting the front-proxy certificate; {@code null} when client
   *     certificates are off
   */
  public BackendPools(SslContext plain, SslContext frontProxy, PoolSettings settings,
      Class<? extends SocketChannel> channelClass, AddressResolverGroup<InetSocketAddress> resolver) {
    sslContexts.put(ConnectionKind.NO_CLIENT_CERT, new AtomicReference<>(Objects.requireNonNull(plain)));
    sslContexts.put(ConnectionKind.FRONT_PROXY, new AtomicReference<>(frontProxy));
    this.settings = new AtomicReference<>(settings);
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  @Override
  public Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, ConnectionKind kind, boolean dedicated) {
    BackendPool pool = pool(loop, backend.backend(), kind);
    return dedicated ? pool.connectDedicated(backend) : pool.acquire(backend);
  }

  /** The pool of {@code backend} on {@code loop} for {@code kind}; call on {@code loop}. */
  BackendPool pool(EventLoop loop, Backend backend, ConnectionKind kind) {
    Map<Key, BackendPool> pools = byLoop.get(loop);
    if (pools == null) {
      pools = byLoop.computeIfAbsent(loop, l -> new HashMap<>());
    }
    Key key = new Key(backend, kind);
    BackendPool existing = pools.get(key);
    if (existing != null) {
      return existing;
    }
    return pools.computeIfAbsent(key, k -> {
      SslContext ctx = sslContexts.get(kind).get();
      if (ctx == null) {
        throw new IllegalStateException("no TLS context for " + kind + " backend connections");
      }
      return new BackendPool(loop, backend, settings::get, ctx, channelClass, resolver);
    });
  }

  /** New connections and releases use {@code next} (reload). */
  public void updateSettings(PoolSettings next) {
    settings.set(next);
  }

  /** New {@code kind} connections use {@code next}; pooled idle ones are retired so they reconnect with it. */
  public void rotateSslContext(ConnectionKind kind, SslContext next) {
    sslContexts.get(kind).set(Objects.requireNonNull(next));
    closePoolsWhere(key -> key.kind() == kind);
  }

  /** Closes the idle connections of backends no longer configured. */
  public void retain(java.util.Set<Backend> current) {
    closePoolsWhere(key -> !current.contains(key.backend()));
  }

  /** Closes and forgets, each on its own loop, the pools whose key matches. */
  private void closePoolsWhere(java.util.function.Predicate<Key> doomed) {
    byLoop.forEach((loop, pools) -> loop.execute(() -> pools.entrySet().removeIf(e -> {
      if (doomed.test(e.getKey())) {
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
