package io.apilb.frontend;

import io.apilb.config.ListenerConfig;
import io.apilb.config.ProxyConfig;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.frontend.http1.Http1ConnectionHandler;
import io.apilb.frontend.http2.Http2FrontendHandler;
import io.apilb.frontend.http1.Http1Timeouts;
import io.apilb.frontend.http2.Http2Timeouts;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.FrameCoalescer;
import io.apilb.support.HandlerNames;
import io.apilb.tls.ClientCertificateResult;
import io.apilb.tls.ClientCertificateVerifier;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import java.util.function.Supplier;
import io.netty.handler.ssl.SslHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the HTTP/1.1 or HTTP/2 pipeline once the TLS handshake has chosen a protocol; a
 * client that offers no ALPN gets HTTP/1.1 (SPDY and WebSocket clients usually offer none).
 */
final class AlpnNegotiationHandler extends ApplicationProtocolNegotiationHandler {
  private static final Logger log = LoggerFactory.getLogger(AlpnNegotiationHandler.class);

  private final Supplier<ProxyContext> px;
  private final ListenerConfig listener;

  AlpnNegotiationHandler(Supplier<ProxyContext> px, ListenerConfig listener) {
    super(ApplicationProtocolNames.HTTP_1_1);
    this.px = px;
    this.listener = listener;
  }

  @Override
  protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
    ApilbMetrics metrics = px.get().metrics();
    px.get().certificateVerifier().ifPresent(v -> checkClientCertificate(ctx, v));
    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
      metrics.connectionAccepted("h2");
      addHttp2Handlers(ctx.pipeline());
    } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
      metrics.connectionAccepted("http1");
      addHttp1Handlers(ctx.pipeline());
    } else {
      throw new IllegalStateException("unexpected ALPN protocol: " + protocol);
    }
  }

  /**
   * Verifies the client certificate once per connection, before any request is read; every
   * exchange on the connection (HTTP/1.1 or an HTTP/2 stream) reads the result from the channel
   * attribute.
   */
  private void checkClientCertificate(ChannelHandlerContext ctx, ClientCertificateVerifier verifier) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    ClientCertificateResult result = verifier.verify(ssl.engine().getSession());
    ctx.channel().attr(ClientCertificateResult.ATTRIBUTE).set(result);
    if (result.identity().isPresent()) {
      px.get().metrics().clientCertificate("verified");
    } else if (result.rejection().isPresent()) {
      px.get().metrics().clientCertificate("rejected");
      log.debug("client certificate from {} rejected: {}", ctx.channel().remoteAddress(), result.rejection().get());
    }
  }

  private void addHttp1Handlers(ChannelPipeline p) {
    ProxyConfig proxy = px.get().config();
    // Auto-read stays off: the exchange reads the next message only when it can forward it.
    p.addLast(HandlerNames.HTTP1_TIMEOUTS, new Http1Timeouts(listener.timeouts(), px.get().metrics()));
    p.addLast(HandlerNames.HTTP1_CODEC, new HttpServerCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(proxy.maxInitialLineLength())
            .setMaxHeaderSize(proxy.maxHeaderSize())
            .setMaxChunkSize(65536)))
        .addLast(HandlerNames.HTTP1_EXPECT_CONTINUE, new HttpServerExpectContinueHandler())
        .addLast(HandlerNames.FLOW_CONTROL, new FlowControlHandler())
        .addLast(HandlerNames.HTTP1_CONNECTION, new Http1ConnectionHandler(px));
  }

  private void addHttp2Handlers(ChannelPipeline p) {
    // The connection keeps reading (frames of every stream, PINGs answered at once); HTTP/2 flow
    // control is the backpressure (see Http2FrontendHandler).
    Http2Settings settings = Http2Settings.defaultSettings()
        .maxConcurrentStreams(listener.maxConcurrentStreams())
        .initialWindowSize(1 << 20)
        .maxHeaderListSize(px.get().config().maxHeaderSize());
    // Many streams' flushes become one TLS write per event-loop pass instead of one per stream.
    p.addLast(HandlerNames.FRAME_COALESCER, new FrameCoalescer());
    p.addLast(HandlerNames.FLUSH_CONSOLIDATION, new FlushConsolidationHandler(256, true));
    p.addLast(HandlerNames.HTTP2_STREAMS, new Http2FrontendHandler.Builder(px, settings).build());
    p.addBefore(HandlerNames.FLUSH_CONSOLIDATION, HandlerNames.HTTP2_TIMEOUTS, new Http2Timeouts(listener.timeouts(), px.get().metrics()));
    p.channel().config().setAutoRead(true);
  }

  @Override
  protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
    px.get().metrics().tlsHandshakeFailure();
    log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
