package io.apilb.frontend;

import io.apilb.metrics.ApilbMetrics;
import io.apilb.passthrough.Passthrough;
import io.apilb.support.HandlerNames;
import io.apilb.tls.ServerContexts;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the server name (SNI) of a client's ClientHello without terminating TLS, and routes the
 * connection: a passthrough name gets a raw relay to a backend; any other name gets the
 * {@code tls} handler with the certificate for that name (or the default one). The bytes read so
 * far go on to whichever handler takes this one's place.
 */
final class ClientHelloRouter extends AbstractSniHandler<ClientHelloRouter.Route> {
  private static final Logger log = LoggerFactory.getLogger(ClientHelloRouter.class);
  private static final int MAX_CLIENT_HELLO = 64 * 1024;
  private static final long TIMEOUT_MILLIS = 10_000; // as SslHandler's handshake timeout

  /** Terminate with {@code context}, or (null) pass through. */
  record Route(SslContext context) {
    static final Route PASSTHROUGH = new Route(null);
  }

  private final ServerContexts contexts;
  private final Passthrough passthrough;
  private final ApilbMetrics metrics;

  /** @param contexts the listener's contexts as they are when this connection arrived */
  ClientHelloRouter(ServerContexts contexts, Passthrough passthrough, ApilbMetrics metrics) {
    super(MAX_CLIENT_HELLO, TIMEOUT_MILLIS);
    this.contexts = contexts;
    this.passthrough = passthrough;
    this.metrics = metrics;
  }

  @Override
  protected Future<Route> lookup(ChannelHandlerContext ctx, String serverName) {
    Route route = passthrough.wants(serverName) ? Route.PASSTHROUGH : new Route(contexts.select(serverName));
    return ctx.executor().newSucceededFuture(route);
  }

  @Override
  protected void onLookupComplete(ChannelHandlerContext ctx, String serverName, Future<Route> future) {
    Route route = future.getNow();
    if (route.context() == null) {
      log.debug("{}: passing TLS for {} through to a backend", ctx.channel().remoteAddress(), serverName);
      metrics.connectionAccepted("passthrough");
      ctx.pipeline().remove(HandlerNames.ALPN);
      ctx.pipeline().replace(this, HandlerNames.PASSTHROUGH, passthrough.newClientHandler());
      return;
    }
    SslHandler tls = route.context().newHandler(ctx.alloc());
    try {
      ctx.pipeline().replace(this, HandlerNames.TLS, tls);
    } catch (RuntimeException e) {
      ReferenceCountUtil.safeRelease(tls.engine()); // the OpenSSL engine holds native memory
      throw e;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) {
      // not TLS, an oversized or malformed ClientHello: a failed handshake, not an apilb error
      metrics.tlsHandshakeFailure();
      log.debug("TLS ClientHello from {} rejected: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
      return;
    }
    ctx.fireExceptionCaught(cause);
  }
}
