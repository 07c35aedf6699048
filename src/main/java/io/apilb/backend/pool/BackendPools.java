package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.config.BackendHttp2Mode;
import io.apilb.tls.BackendClientContexts;
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

  /** A multiplexed pool's key: backend (by identity), kind and credential digest (null: front-proxy). */
  private record H2Key(Backend backend, ConnectionKind kind, Sharing.CredentialKey credential) {
    @Override
    public boolean equals(Object o) {
      return o instanceof H2Key k && k.backend == backend && k.kind == kind && Objects.equals(k.credential, credential);
    }

    @Override
    public int hashCode() {
      return (System.identityHashCode(backend) * 31 + kind.ordinal()) * 31 + Objects.hashCode(credential);
    }
  }

  private final ConcurrentHashMap<EventLoop, Map<Key, BackendPool>> byLoop = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<EventLoop, Map<H2Key, Http2Pool>> h2ByLoop = new ConcurrentHashMap<>();
  private final Map<ConnectionKind, AtomicReference<BackendClientContexts>> sslContexts = new EnumMap<>(ConnectionKind.class);
  private final boolean h2Required;
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
    this(BackendClientContexts.http1Only(plain), frontProxy == null ? null : BackendClientContexts.http1Only(frontProxy),
        BackendHttp2Mode.OFF, settings, channelClass, resolver);
  }

  /**
   * @param plain contexts of connections without a client certificate
   * @param frontProxy contexts presenting the front-proxy certificate; {@code null} when client
   *     certificates are off
   * @param http2 {@code on}: a backend that does not negotiate h2 fails multiplexed connections
   */
  public BackendPools(BackendClientContexts plain, BackendClientContexts frontProxy, BackendHttp2Mode http2,
      PoolSettings settings, Class<? extends SocketChannel> channelClass,
      AddressResolverGroup<InetSocketAddress> resolver) {
    sslContexts.put(ConnectionKind.NO_CLIENT_CERT, new AtomicReference<>(Objects.requireNonNull(plain)));
    sslContexts.put(ConnectionKind.FRONT_PROXY, new AtomicReference<>(frontProxy));
    this.h2Required = http2 == BackendHttp2Mode.ON;
    this.settings = new AtomicReference<>(settings);
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  @Override
  public Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, ConnectionKind kind, boolean dedicated) {
    BackendPool pool = pool(loop, backend.backend(), kind);
    return dedicated ? pool.connectDedicated(backend) : pool.acquire(backend);
  }

  @Override
  public Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, Sharing sharing, boolean dedicated) {
    if (dedicated || !sharing.multiplexed() || contexts(sharing.kind()).h2() == null) {
      return attempt(loop, backend, sharing.kind(), dedicated);
    }
    BackendPool http1 = pool(loop, backend.backend(), sharing.kind());
    if (http1.recentlyHttp1Only()) {
      return http1.acquire(backend);
    }
    return h2Pool(loop, backend.backend(), sharing, http1).acquire(backend);
  }

  /** Multiplexed connections and their streams to {@code backend}, over all loops (metrics; approximate). */
  public int[] http2ConnectionsAndStreams(Backend backend) {
    int[] n = new int[2];
    h2ByLoop.forEach((loop, pools) -> pools.forEach((k, p) -> {
      if (k.backend() == backend) {
        n[0] += p.connections();
        n[1] += p.streams();
      }
    }));
    return n;
  }

  private BackendClientContexts contexts(ConnectionKind kind) {
    BackendClientContexts c = sslContexts.get(kind).get();
    if (c == null) {
      throw new IllegalStateException("no TLS context for " + kind + " backend connections");
    }
    return c;
  }

  /** The multiplexed pool of {@code backend} on {@code loop} for {@code sharing}; call on {@code loop}. */
  private Http2Pool h2Pool(EventLoop loop, Backend backend, Sharing sharing, BackendPool http1) {
    Map<H2Key, Http2Pool> pools = h2ByLoop.computeIfAbsent(loop, l -> new ConcurrentHashMap<>());
    H2Key key = new H2Key(backend, sharing.kind(), sharing.credential());
    Http2Pool existing = pools.get(key);
    if (existing != null) {
      return existing;
    }
    Http2Pool[] made = new Http2Pool[1];
    made[0] = new Http2Pool(loop, backend, settings::get, contexts(sharing.kind()).h2(), h2Required, channelClass,
        resolver, http1,
        // a credential's pool goes when its last connection does: one pool per token seen is not kept
        () -> pools.remove(key, made[0]));
    pools.put(key, made[0]);
    return made[0];
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
      return new BackendPool(loop, backend, settings::get, contexts(kind).http1(), channelClass, resolver);
    });
  }

  /** New connections and releases use {@code next} (reload). */
  public void updateSettings(PoolSettings next) {
    settings.set(next);
  }

  /** New {@code kind} connections use {@code next}; pooled idle ones are retired so they reconnect with it. */
  public void rotateSslContext(ConnectionKind kind, SslContext next) {
    BackendClientContexts current = sslContexts.get(kind).get();
    rotateSslContexts(kind, new BackendClientContexts(next, current == null ? null : current.h2()));
  }

  /** New {@code kind} connections use {@code next}; idle ones close, busy multiplexed ones retire. */
  public void rotateSslContexts(ConnectionKind kind, BackendClientContexts next) {
    sslContexts.get(kind).set(Objects.requireNonNull(next));
    closePoolsWhere(key -> key.kind() == kind);
    closeH2PoolsWhere(key -> key.kind() == kind);
  }

  /** Closes the idle connections of backends no longer configured. */
  public void retain(java.util.Set<Backend> current) {
    closePoolsWhere(key -> !current.contains(key.backend()));
    closeH2PoolsWhere(key -> !current.contains(key.backend()));
  }

  private void closeH2PoolsWhere(java.util.function.Predicate<H2Key> doomed) {
    h2ByLoop.forEach((loop, pools) -> loop.execute(() -> pools.entrySet().removeIf(e -> {
      if (doomed.test(e.getKey())) {
        e.getValue().close();
        return true;
      }
      return false;
    })));
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
    h2ByLoop.forEach((loop, pools) -> {
      if (!loop.isShuttingDown()) {
        loop.execute(() -> java.util.List.copyOf(pools.values()).forEach(Http2Pool::close));
      }
    });
  }
}
