package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Multiplexed HTTP/2 connections to one backend for one kind of connection and one credential
 * ({@link Sharing}), owned by one event loop. A request gets a stream on the oldest connection
 * with room under the backend's SETTINGS_MAX_CONCURRENT_STREAMS; when all are full, requests
 * wait for the connections opened for them (as many at once as the waiting requests fill, up to
 * four), so N concurrent streams use ⌈N ÷ max-streams⌉ connections. Connections without streams close after the idle timeout; each
 * is PINGed every half of the dead-backend time. In {@code auto} mode a connection on which the
 * backend negotiates HTTP/1.1 joins the backend's HTTP/1.1 pool, which serves it for a minute
 * before h2 is tried again.
 */
final class Http2Pool {
  /** Connections one pool may be opening at once for a burst of waiting requests. */
  private static final int PARALLEL_CONNECTS = 4;
  /**
   * Streams per connection assumed before a connection's SETTINGS said: kube-apiserver's (Go's
   * default). Assuming fewer would open more connections than a burst fills.
   */
  private static final int DEFAULT_STREAMS_PER_CONNECTION = 250;
  private record Waiter(BackendEntry entry, Promise<BackendAttempt> promise) {}

  private final EventLoop loop;
  private final Backend backend;
  private final Supplier<PoolSettings> settingsSource;
  private final SslContext sslContext;
  private final boolean h2Required;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  /** The backend's HTTP/1.1 pool on this loop and for this kind: where {@code auto} falls back. */
  private final BackendPool http1;
  private final Runnable onEmpty;
  /** Connections that take new streams, oldest first. */
  private final List<Http2BackendConnection> open = new ArrayList<>();
  /** Every connection of this pool, draining ones included (for counts and close). */
  private final List<Http2BackendConnection> all = new ArrayList<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** Connections being opened (TCP, TLS or waiting for SETTINGS). */
  private int connecting;
  /** Connections opened for the waiters whose SETTINGS have not arrived yet. */
  private final List<Http2BackendConnection> pending = new ArrayList<>(2);
  private ScheduledFuture<?> ticker;
  private boolean closed;
  /** The backend's counters (connections open), from the requests' entries. */
  private io.apilb.backend.BackendStats stats;

  Http2Pool(EventLoop loop, Backend backend, Supplier<PoolSettings> settings, SslContext sslContext, boolean h2Required,
      Class<? extends SocketChannel> channelClass, AddressResolverGroup<InetSocketAddress> resolver,
      BackendPool http1, Runnable onEmpty) {
    this.loop = loop;
    this.backend = backend;
    this.settingsSource = settings;
    this.sslContext = sslContext;
    this.h2Required = h2Required;
    this.channelClass = channelClass;
    this.resolver = resolver;
    this.http1 = http1;
    this.onEmpty = onEmpty;
  }

  String name() {
    return backend.name();
  }

  /** Open connections (draining ones included) and their streams; event loop only. */
  int connections() {
    return all.size();
  }

  int streams() {
    int n = 0;
    for (Http2BackendConnection c : all) {
      n += c.streams();
    }
    return n;
  }

  /** A stream on a connection with room, or on the next connection opened. Event loop only. */
  Future<BackendAttempt> acquire(BackendEntry entry) {
    stats = entry.stats();
    for (int i = 0; i < open.size(); i++) {
      Http2BackendConnection c = open.get(i);
      if (c.hasCapacity()) {
        return loop.newSucceededFuture(c.reserve(entry));
      }
    }
    Promise<BackendAttempt> p = loop.newPromise();
    waiters.add(new Waiter(entry, p));
    connectForWaiters();
    return p;
  }

  void onReady(Http2BackendConnection c) {
    if (pending.remove(c)) {
      connecting--;
    }
    open.add(c);
    serveWaiters();
    if (closed) {
      c.retire();
    }
  }

  void onCapacity(Http2BackendConnection c) {
    if (!waiters.isEmpty()) {
      serveWaiters();
    }
  }

  void onDraining(Http2BackendConnection c) {
    open.remove(c);
    if (!waiters.isEmpty()) {
      serveWaiters();
    }
  }

  void onClosed(Http2BackendConnection c) {
    open.remove(c);
    if (pending.remove(c)) {
      connecting--;
      failWaiters(new BackendConnectException("backend " + backend.name()
          + " closed the connection before its HTTP/2 SETTINGS", true, null));
    }
    if (all.remove(c) && stats != null) {
      stats.http2Connections(-1);
    }
    if (all.isEmpty() && waiters.isEmpty() && connecting == 0) {
      stopTicker();
      onEmpty.run();
    }
  }

  private void serveWaiters() {
    while (!waiters.isEmpty()) {
      Http2BackendConnection room = null;
      for (int i = 0; i < open.size() && room == null; i++) {
        if (open.get(i).hasCapacity()) {
          room = open.get(i);
        }
      }
      if (room == null) {
        connectForWaiters();
        return;
      }
      Waiter w = waiters.poll();
      Http2StreamAttempt a = room.reserve(w.entry());
      if (!w.promise().trySuccess(a)) {
        a.close();
      }
    }
  }

  /** Retires every connection (they close when their streams end); new requests go to a new pool. */
  void close() {
    closed = true;
    for (Http2BackendConnection c : List.copyOf(all)) {
      c.retire();
    }
    stopTicker();
  }

  /**
   * Opens connections for the waiting requests: as many at once as their number needs at the
   * backend's streams per connection (up to {@link #PARALLEL_CONNECTS}), not one at a time. A
   * burst of thousands of watches would otherwise wait for one TLS handshake after another
   * (measured: 1.5 s p99 to open 10,000 watches at 1,000 a second).
   */
  private void connectForWaiters() {
    long perConnection = streamsPerConnection(); // long: an unlimited server says 2^31-1
    int wanted = (int) Math.min(PARALLEL_CONNECTS, (waiters.size() + perConnection - 1) / perConnection);
    while (connecting < wanted) {
      connect();
    }
  }

  /** The backend's SETTINGS_MAX_CONCURRENT_STREAMS as a connection of this pool last saw it. */
  private int streamsPerConnection() {
    for (int i = open.size() - 1; i >= 0; i--) {
      int max = open.get(i).maxStreams();
      if (max > 0) {
        return max;
      }
    }
    return DEFAULT_STREAMS_PER_CONNECTION;
  }

  private void connect() {
    connecting++;
    PoolSettings settings = settingsSource.get();
    int timeoutMillis = (int) Math.max(1, settings.connectTimeout().toMillis());
    Bootstrap b = new Bootstrap()
        .group(loop)
        .channel(channelClass)
        .resolver(resolver)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(io.apilb.support.HandlerNames.BACKEND_TLS, io.apilb.tls.TlsContexts.newBackendHandler(
                sslContext, ch.alloc(), backend.verifiedName(), backend.port()));
          }
        });
    DeadPeerDetection.apply(b, channelClass, settings.deadBackendDetection());
    b.connect(InetSocketAddress.createUnresolved(backend.host(), backend.port())).addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        connecting--;
        failWaiters(new BackendConnectException("connect to " + backend.name() + " (" + backend.address()
            + ") failed: " + BackendPool.describe(f.cause()), false, f.cause()));
        return;
      }
      SslHandler ssl = f.channel().pipeline().get(SslHandler.class);
      ssl.setHandshakeTimeoutMillis(timeoutMillis);
      ssl.handshakeFuture().addListener(hs -> onHandshake(f.channel(), ssl, hs.cause(), settings, timeoutMillis));
    });
  }

  private void onHandshake(Channel ch, SslHandler ssl, Throwable failure, PoolSettings settings, int timeoutMillis) {
    if (failure != null) {
      connecting--;
      ch.close();
      failWaiters(new BackendConnectException("TLS handshake with " + backend.name() + " (" + backend.address()
          + ") failed: " + BackendPool.describe(failure), true, failure));
      return;
    }
    if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
      if (h2Required) {
        connecting--;
        ch.close();
        failWaiters(new BackendConnectException("backend " + backend.name() + " did not negotiate HTTP/2 (ALPN h2)",
            true, null));
      } else {
        fallBackToHttp1(ch);
      }
      return;
    }
    Http2BackendConnection c = Http2BackendConnection.create(Math.max(settings.maxHeaderSize(), 65536));
    c.pool(this);
    pending.add(c);
    all.add(c);
    if (stats != null) {
      stats.http2Connections(1);
    }
    ch.pipeline().addLast(io.apilb.support.HandlerNames.FRAME_COALESCER, new io.apilb.support.FrameCoalescer());
    ch.pipeline().addLast(io.apilb.support.HandlerNames.BACKEND_HTTP2, c);
    ensureTicker(settings);
    // SETTINGS must follow the handshake promptly, or the connection is given up
    loop.schedule(() -> {
      if (pending.remove(c)) {
        connecting--;
        ch.close();
        failWaiters(new BackendConnectException("backend " + backend.name() + " sent no HTTP/2 SETTINGS", true, null));
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * The backend speaks HTTP/1.1 only: the connection just negotiated serves the first waiting
   * request (a handshake is not thrown away), the others and new requests for a while go to the
   * backend's HTTP/1.1 pool.
   */
  private void fallBackToHttp1(Channel negotiated) {
    connecting--;
    http1.noteHttp1Only();
    Waiter first = waiters.poll();
    if (first == null) {
      negotiated.close();
    } else {
      BackendAttempt adopted = http1.adopt(first.entry(), negotiated);
      if (!first.promise().trySuccess(adopted)) {
        adopted.release();
      }
    }
    Waiter w;
    while ((w = waiters.poll()) != null) {
      Promise<BackendAttempt> p = w.promise();
      http1.acquire(w.entry()).addListener((Future<BackendAttempt> f) -> {
        if (f.isSuccess()) {
          if (!p.trySuccess(f.getNow())) {
            f.getNow().release();
          }
        } else {
          p.tryFailure(f.cause());
        }
      });
    }
    if (all.isEmpty()) {
      onEmpty.run();
    }
  }

  private void failWaiters(BackendConnectException e) {
    Waiter w;
    while ((w = waiters.poll()) != null) {
      w.promise().tryFailure(e);
    }
    if (all.isEmpty()) {
      onEmpty.run();
    }
  }

  /** PINGs and the idle timeout, every half of the shorter of the two. */
  private void ensureTicker(PoolSettings settings) {
    if (ticker != null) {
      return;
    }
    long dead = settings.deadBackendDetection().toMillis();
    long every = Math.max(100, Math.min(settings.idleTimeout().toMillis(), dead == 0 ? Long.MAX_VALUE : dead) / 2);
    ticker = loop.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    PoolSettings settings = settingsSource.get();
    long idleLimit = System.nanoTime() - settings.idleTimeout().toNanos();
    boolean ping = !settings.deadBackendDetection().isZero();
    for (Http2BackendConnection c : List.copyOf(all)) {
      if (c.idleSince(idleLimit)) {
        c.retire();
      } else if (ping) {
        c.ping();
      }
    }
  }

  private void stopTicker() {
    if (ticker != null) {
      ticker.cancel(false);
      ticker = null;
    }
  }
}
