package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keep-alive HTTP/1.1 connections to one backend, owned by one event loop: no locks, no
 * cross-thread hand-off. Idle connections are reused last-in first-out (the warmest first), read
 * while idle so a backend's close is seen at once, and closed after the idle timeout, which is
 * shorter than kube-apiserver's own 90 s so that apilb, not the backend, ends idle connections.
 */
final class BackendPool {
  private static final long HTTP1_ONLY_MEMORY_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final EventLoop loop;
  private final Backend backend;
  private final Supplier<PoolSettings> settingsSource;
  private final SslContext sslContext;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  /** Idle connections, most recently used first, with when each became idle. */
  private final ArrayDeque<IdleConnection> idle = new ArrayDeque<>();
  private ScheduledFuture<?> sweeper;
  /** Connects under way whose request gave up (cancelled its future), oldest first. */
  private final ArrayDeque<PendingConnect> unclaimed = new ArrayDeque<>();

  private record IdleConnection(Channel channel, BackendRelayHandler relay, long idleSinceNanos) {}
  private boolean closed;
  /** Until when ({@link System#nanoTime}) multiplexed requests skip h2: the backend negotiated HTTP/1.1. */
  private long http1OnlyUntil;

  BackendPool(EventLoop loop, Backend backend, Supplier<PoolSettings> settings, SslContext sslContext,
      Class<? extends SocketChannel> channelClass, AddressResolverGroup<InetSocketAddress> resolver) {
    this.loop = loop;
    this.backend = backend;
    this.settingsSource = settings;
    this.sslContext = sslContext;
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  Backend backend() {
    return backend;
  }

  /** An attempt on an idle connection if one is alive, else on a new one. Event loop only. */
  Future<BackendAttempt> acquire(BackendEntry entry) {
    IdleConnection c;
    while ((c = idle.pollFirst()) != null) {
      if (c.channel().isActive()) {
        // its read is still pending from release(): nothing to change in the pipeline
        return loop.newSucceededFuture(new PooledConnectionAttempt(this, entry, c.channel(), c.relay()));
      }
    }
    PendingConnect orphan = unclaimed.pollFirst();
    return orphan != null ? orphan.claim(entry) : connect(entry);
  }

  /**
   * An attempt on a fresh connection that never returns to the pool: upgrades take over their
   * connection for a byte tunnel.
   */
  Future<BackendAttempt> connectDedicated(BackendEntry entry) {
    return connect(entry);
  }

  /**
   * A connection the multiplexed pool opened offering h2 on which the backend chose HTTP/1.1:
   * it becomes one of this pool's connections, serving {@code entry} first. Event loop only.
   */
  BackendAttempt adopt(BackendEntry entry, Channel negotiated) {
    negotiated.config().setAutoRead(false);
    BackendChannelInitializer.addHttp1Handlers(negotiated.pipeline(), settingsSource.get().maxHeaderSize());
    forgetOnClose(negotiated);
    return new PooledConnectionAttempt(this, entry, negotiated);
  }

  /** The backend negotiated HTTP/1.1 where h2 was offered: h2 is not offered again for a minute. */
  void noteHttp1Only() {
    http1OnlyUntil = System.nanoTime() + HTTP1_ONLY_MEMORY_NANOS;
  }

  boolean recentlyHttp1Only() {
    return http1OnlyUntil != 0 && System.nanoTime() - http1OnlyUntil < 0;
  }

  /** Takes back a connection whose attempt completed cleanly. Event loop only. */
  void release(Channel ch) {
    release(ch, ch.pipeline().get(BackendRelayHandler.class));
  }

  /**
   * {@link #release(Channel)} with the connection's relay handler known: the per-request path
   * carries it along, as a pipeline lookup by class walks the pipeline (measured: 1.5 % of CPU).
   */
  void release(Channel ch, BackendRelayHandler relay) {
    PoolSettings settings = settingsSource.get();
    if (relay != null) {
      relay.detach();
    }
    if (closed || !ch.isActive() || relay == null || idle.size() >= settings.maxIdle()) {
      ch.close();
      return;
    }
    // One read stays pending while the connection idles, so a backend's close (or unexpected
    // bytes, which close it) is seen at once; no pipeline change or auto-read toggle per request.
    ch.read();
    idle.addFirst(new IdleConnection(ch, relay, System.nanoTime()));
    if (sweeper == null) {
      long every = Math.max(100, settings.idleTimeout().toMillis() / 2);
      sweeper = loop.scheduleAtFixedRate(this::closeExpired, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** Closes connections idle longer than the idle timeout (oldest are at the tail). */
  private void closeExpired() {
    long limit = System.nanoTime() - settingsSource.get().idleTimeout().toNanos();
    IdleConnection c;
    while ((c = idle.peekLast()) != null && c.idleSinceNanos() < limit) {
      idle.pollLast();
      c.channel().close();
    }
  }

  /** Closes idle connections and refuses to pool more. Event loop only. */
  void close() {
    closed = true;
    // Taken out before each close: a close on this loop runs the connection's close listener
    // (forgetOnClose) at once, which removes from the deque and broke an iteration over it
    // (ConcurrentModificationException, and the connections after the first lingered).
    IdleConnection c;
    while ((c = idle.pollFirst()) != null) {
      c.channel().close();
    }
    if (sweeper != null) {
      sweeper.cancel(false);
    }
  }

  /** A connection the backend closes while idle leaves the pool at once (once per connection). */
  void forgetOnClose(Channel ch) {
    ch.closeFuture().addListener(cl -> idle.removeIf(c -> c.channel() == ch));
  }

  private Future<BackendAttempt> connect(BackendEntry entry) {
    PendingConnect pc = new PendingConnect();
    Promise<BackendAttempt> promise = pc.claim(entry);
    PoolSettings settings = settingsSource.get();
    int timeoutMillis = (int) Math.max(1, settings.connectTimeout().toMillis());
    Bootstrap b = new Bootstrap()
        .group(loop)
        .channel(channelClass)
        .resolver(resolver)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.AUTO_READ, false)
        .handler(new BackendChannelInitializer(sslContext, backend, settings.maxHeaderSize()));
    DeadPeerDetection.apply(b, channelClass, settings.deadBackendDetection());
    ChannelFuture cf = b.connect(InetSocketAddress.createUnresolved(backend.host(), backend.port()));
    cf.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        pc.fail(new BackendConnectException(
            "connect to " + backend.name() + " (" + backend.address() + ") failed: " + describe(f.cause()),
            false, f.cause()));
        return;
      }
      Channel ch = f.channel();
      forgetOnClose(ch);
      SslHandler ssl = ch.pipeline().get(SslHandler.class);
      ssl.setHandshakeTimeoutMillis(timeoutMillis);
      ssl.handshakeFuture().addListener(hs -> {
        if (hs.isSuccess()) {
          pc.succeed(ch);
        } else {
          ch.close();
          pc.fail(new BackendConnectException(
              "TLS handshake with " + backend.name() + " (" + backend.address() + ") failed: "
                  + describe(hs.cause()), true, hs.cause()));
        }
      });
    });
    return promise;
  }

  /**
   * A connection being opened, and the request it is for. When that request gives up (its client
   * reset the stream or left) the connect goes on and the next request that finds no idle
   * connection claims it instead of opening another: a client resetting streams while connects
   * are under way cannot make apilb open more connections than it has waiting requests.
   */
  private final class PendingConnect {
    private Promise<BackendAttempt> claimant;
    private BackendEntry entry;
    private boolean done;

    Promise<BackendAttempt> claim(BackendEntry by) {
      Promise<BackendAttempt> p = loop.newPromise();
      claimant = p;
      entry = by;
      p.addListener(f -> {
        if (f.isCancelled() && claimant == p && !done) {
          claimant = null;
          unclaimed.add(this);
        }
      });
      return p;
    }

    void succeed(Channel ch) {
      done = true;
      unclaimed.remove(this);
      if (claimant == null || !claimant.trySuccess(new PooledConnectionAttempt(BackendPool.this, entry, ch))) {
        release(ch); // nobody wants it now: it idles in the pool, clean
      }
    }

    void fail(BackendConnectException e) {
      done = true;
      unclaimed.remove(this);
      if (claimant != null) {
        claimant.tryFailure(e);
      }
    }
  }

  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null ? root.getClass().getSimpleName() : m;
  }
}
