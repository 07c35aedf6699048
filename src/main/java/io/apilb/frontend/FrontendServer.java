package io.apilb.frontend;

import io.apilb.config.ListenerConfig;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.apilb.passthrough.Passthrough;
import io.apilb.tls.ServerContexts;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.apilb.support.DrainEvent;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/** The client-facing TLS listener (with PROXY protocol and TLS passthrough when configured). */
public final class FrontendServer implements AutoCloseable {
  private final ListenerConfig config;
  private final Supplier<ProxyContext> px;
  private final Supplier<ServerContexts> tlsContexts;
  private final Passthrough passthrough;
  private final Transport transport;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private Channel serverChannel;
  /** Every open client connection, for draining at shutdown. */
  private final ChannelGroup connections = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);

  /**
   * @param tlsContexts the listener's TLS contexts (default and by SNI), read per connection
   * @param passthrough where connections for passthrough server names go ({@link Passthrough#OFF}: none)
   */
  public FrontendServer(ListenerConfig config, Supplier<ProxyContext> px, Supplier<ServerContexts> tlsContexts,
      Passthrough passthrough, Transport transport, EventLoopGroup boss, EventLoopGroup workers) {
    this.config = config;
    this.px = px;
    this.tlsContexts = tlsContexts;
    this.passthrough = passthrough;
    this.transport = transport;
    this.boss = boss;
    this.workers = workers;
  }

  /** Binds the listener; the caller (start-up code, never an event loop) waits on the future. */
  public ChannelFuture start() {
    ServerBootstrap b = new ServerBootstrap()
        .group(boss, workers)
        .channel(transport.serverChannelClass())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        // Auto-read starts off: the TLS handler reads what its handshake needs, HTTP/1.1 reads are
        // driven by the exchange, and HTTP/2 connections switch it on (see AlpnNegotiationHandler).
        // Turning it off later, inside the handshake's read loop, loses the read demand on epoll.
        .childOption(ChannelOption.AUTO_READ, false)
        .childHandler(new FrontendChannelInitializer(px, config, tlsContexts, passthrough, connections));
    ChannelFuture f = b.bind(config.address(), config.port());
    serverChannel = f.channel();
    return f;
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Stops accepting new connections; open ones continue. */
  public ChannelFuture stopAccepting() {
    return serverChannel.close();
  }

  /** Asks every open connection to drain (see {@link DrainEvent}). */
  public void drainConnections() {
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE));
    }
  }

  /** Open client connections. */
  public int openConnections() {
    return connections.size();
  }

  /** Closes every client connection at once (after the drain deadline). */
  public ChannelGroupFuture closeConnections() {
    return connections.close();
  }

  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close();
    }
  }
}
