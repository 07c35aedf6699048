package io.apilb.frontend;

import io.apilb.config.ListenerConfig;
import io.apilb.passthrough.Passthrough;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.HandlerNames;
import io.apilb.tls.ServerContexts;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import java.util.function.Supplier;

/**
 * A new client connection: {@code connection-metrics → [proxy-protocol] → client-hello → alpn};
 * the ClientHello's server name then installs {@code tls} (ALPN then installs the HTTP/1.1 or
 * HTTP/2 handlers) or a passthrough relay. The TLS contexts are read per connection, so a rotated
 * certificate applies to new connections while open ones keep theirs.
 */
public final class FrontendChannelInitializer extends ChannelInitializer<SocketChannel> {
  private final Supplier<ProxyContext> px;
  private final ListenerConfig listener;
  private final Supplier<ServerContexts> tlsContexts;
  private final Passthrough passthrough;
  private final ChannelGroup connections;

  public FrontendChannelInitializer(Supplier<ProxyContext> px, ListenerConfig listener,
      Supplier<ServerContexts> tlsContexts, Passthrough passthrough, ChannelGroup connections) {
    this.px = px;
    this.listener = listener;
    this.tlsContexts = tlsContexts;
    this.passthrough = passthrough;
    this.connections = connections;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    connections.add(ch);
    ChannelPipeline p = ch.pipeline();
    addConnectionMetrics(p);
    if (listener.proxyProtocol().enabled()) {
      p.addLast(HandlerNames.PROXY_PROTOCOL, new ProxyProtocolGate(listener.proxyProtocol()));
    }
    p.addLast(HandlerNames.CLIENT_HELLO, new ClientHelloRouter(tlsContexts.get(), passthrough, px.get().metrics()))
        .addLast(HandlerNames.ALPN, new AlpnNegotiationHandler(px, listener));
  }

  private void addConnectionMetrics(ChannelPipeline p) {
    var active = px.get().metrics().activeConnections();
    p.addLast(HandlerNames.CONNECTION_METRICS, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        active.inc();
        ctx.fireChannelActive();
        ctx.read(); // auto-read is off: start reading the PROXY header or the ClientHello
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        active.dec();
        ctx.fireChannelInactive();
      }
    });
  }
}
