package io.apilb.frontend;

import io.apilb.config.ListenerConfig;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.HandlerNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.util.function.Supplier;

/**
 * A new client connection: {@code tls → alpn}; ALPN then installs the HTTP/1.1 or HTTP/2
 * handlers. The TLS context is read per connection, so a rotated certificate applies to new
 * connections while open ones keep theirs.
 */
public final class FrontendChannelInitializer extends ChannelInitializer<SocketChannel> {
  private final Supplier<ProxyContext> px;
  private final ListenerConfig listener;
  private final Supplier<SslContext> sslContext;
  private final ChannelGroup connections;
  private final ConnectionLimiter limiter;

  public FrontendChannelInitializer(Supplier<ProxyContext> px, ListenerConfig listener, Supplier<SslContext> sslContext,
      ChannelGroup connections, ConnectionLimiter limiter) {
    this.px = px;
    this.listener = listener;
    this.sslContext = sslContext;
    this.connections = connections;
    this.limiter = limiter;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (!limiter.admit(ch)) {
      ch.close(); // over apilb.listener.limits: nothing built, no TLS engine, no handshake
      return;
    }
    ch.pipeline().addLast(HandlerNames.CONNECTION_LIMITS, limiter);
    connections.add(ch);
    var active = px.get().metrics().activeConnections();
    ch.pipeline()
        .addLast(HandlerNames.CONNECTION_METRICS, new ChannelInboundHandlerAdapter() {
          @Override
          public void channelActive(ChannelHandlerContext ctx) {
            active.inc();
            ctx.fireChannelActive();
            ctx.read(); // auto-read is off: start the TLS handshake's reads
          }

          @Override
          public void channelInactive(ChannelHandlerContext ctx) {
            active.dec();
            ctx.fireChannelInactive();
          }
        })
        .addLast(HandlerNames.TLS, sslContext.get().newHandler(ch.alloc()))
        .addLast(HandlerNames.ALPN, new AlpnNegotiationHandler(px, listener));
  }
}
