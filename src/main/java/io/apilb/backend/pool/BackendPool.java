package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keep-alive HTTP/1.1 connections to one backend, owned by one event loop: no locks, no
 * cross-thread hand-off. Idle connections are reused last-in first-out (the warmest first), read
 * while idle so a backend's close is seen at once, and closed after the idle timeout, which is
 * shorter than kube-apiserver's own 90 s so that apilb, not the backend, ends idle connections.
 */
public final class BackendPool {
  private final EventLoop loop;
  private final Backend backend;
  private final Supplier<PoolSettings> settingsSource;
  private final SslContext sslContext;
  private final Class<? extends SocketChannel> channelClass;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private final ArrayDeque<Channel> idle = new ArrayDeque<>();
  private boolean closed;

  BackendPool(EventLoop loop, Backend backend, Supplier<PoolSettings> settings, SslContext sslContext,
      Class<? extends SocketChannel> channelClass, AddressResolverGroup<InetSocketAddress> resolver) {
    this.loop = loop;
    this.backend = backend;
    this.settingsSource = settings;
    this.sslContext = sslContext;
    this.channelClass = channelClass;
    this.resolver = resolver;
  }

  public Backend backend() {
    return backend;
  }

  /** An idle connection if one is alive, else a new one. Event loop only. */
  public Future<Channel> acquire() {
    Channel ch;
    while ((ch = idle.pollFirst()) != null) {
      if (ch.isActive()) {
        ChannelPipeline p = ch.pipeline();
        if (p.get(BackendChannelInitializer.IDLE) != null) {
          p.remove(BackendChannelInitializer.IDLE);
        }
        ch.config().setAutoRead(false);
        return loop.newSucceededFuture(ch);
      }
    }
    return connect();
  }

  /**
   * A fresh connection that never returns to the pool: upgrades take over their connection for
   * a byte tunnel.
   */
  public Future<Channel> connectDedicated() {
    return connect();
  }

  /** Returns a connection whose exchange completed cleanly. Event loop only. */
  public void release(Channel ch) {
    PoolSettings settings = settingsSource.get();
    BackendRelayHandler relay = ch.pipeline().get(BackendRelayHandler.class);
    if (relay != null) {
      relay.detach();
    }
    if (closed || !ch.isActive() || relay == null || idle.size() >= settings.maxIdle()) {
      ch.close();
      return;
    }
    ch.pipeline().addBefore(BackendChannelInitializer.RELAY, BackendChannelInitializer.IDLE,
        new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    ch.config().setAutoRead(true);
    idle.addFirst(ch);
  }

  public int idleCount() {
    return idle.size();
  }

  /** Closes idle connections and refuses to pool more. Event loop only. */
  public void close() {
    closed = true;
    for (Channel ch : idle) {
      ch.close();
    }
    idle.clear();
  }

  private Future<Channel> connect() {
    PoolSettings settings = settingsSource.get();
    Promise<Channel> promise = loop.newPromise();
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
    ChannelFuture cf = b.connect(InetSocketAddress.createUnresolved(backend.host(), backend.port()));
    cf.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        promise.tryFailure(new BackendConnectException(
            "connect to " + backend.name() + " (" + backend.address() + ") failed: " + describe(f.cause()),
            false, f.cause()));
        return;
      }
      Channel ch = f.channel();
      ch.closeFuture().addListener(cl -> idle.remove(ch));
      SslHandler ssl = ch.pipeline().get(SslHandler.class);
      ssl.setHandshakeTimeoutMillis(timeoutMillis);
      ssl.handshakeFuture().addListener(hs -> {
        if (hs.isSuccess()) {
          promise.trySuccess(ch);
        } else {
          ch.close();
          promise.tryFailure(new BackendConnectException(
              "TLS handshake with " + backend.name() + " (" + backend.address() + ") failed: "
                  + describe(hs.cause()), true, hs.cause()));
        }
      });
    });
    return promise;
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null ? root.getClass().getSimpleName() : m;
  }
}
