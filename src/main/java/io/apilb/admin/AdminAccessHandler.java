package io.apilb.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a request through to the admin routes only when {@link AdminAccess} allows it; otherwise
 * answers 403 and closes the connection, saying whether a valid bearer token is missing (with a
 * {@code WWW-Authenticate: Bearer} hint) or no token is configured on a port reachable beyond
 * loopback. Both are 403 so that a script sees one status for "not allowed to drain".
 */
final class AdminAccessHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(AdminAccessHandler.class);

  private final AdminAccess access;

  AdminAccessHandler(AdminAccess access) {
    this.access = access;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest req) || req.decoderResult().isFailure()) {
      ctx.fireChannelRead(msg);
      return;
    }
    String path = new QueryStringDecoder(req.uri()).path();
    AdminAccess.Decision decision = access.check(req.method(), path, req.headers().get(HttpHeaderNames.AUTHORIZATION));
    if (decision == AdminAccess.Decision.ALLOW) {
      ctx.fireChannelRead(msg);
      return;
    }
    log.info("admin {} {} from {} refused: {}", req.method(), path, ctx.channel().remoteAddress(), decision);
    req.release();
    FullHttpResponse res = decision == AdminAccess.Decision.UNAUTHORIZED
        ? response(HttpResponseStatus.FORBIDDEN, "a valid bearer token is required (Authorization: Bearer ..., "
            + "the content of apilb.admin.token-file)")
        : response(HttpResponseStatus.FORBIDDEN, "the admin port is reachable beyond loopback: "
            + "set apilb.admin.token-file to use drain and undrain");
    if (decision == AdminAccess.Decision.UNAUTHORIZED) {
      res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"apilb-admin\"");
    }
    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
  }

  private static FullHttpResponse response(HttpResponseStatus status, String text) {
    ByteBuf body = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return res;
  }
}
