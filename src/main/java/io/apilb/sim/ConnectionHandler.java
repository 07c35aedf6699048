package io.apilb.sim;

import java.nio.charset.StandardCharsets;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One connection: records each request when its headers arrive, accumulates the (small) body,
 * then answers, or streams a watch. One request at a time (HTTP/1.1 without pipelining).
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  static final int MAX_BODY = 3 * 1024 * 1024;
  private static final String FLOW_SCHEMA_UID = "2a1b4a9e-0f3c-4c55-9a8e-6c1f8e3d2b71";
  private static final String PRIORITY_LEVEL_UID = "8d2f0c5e-7b1a-4e8e-b3f4-1c9a6d5e7f20";
  private static final String PROBES_FLOW_SCHEMA_UID = "5c3e1f2a-9b8d-4a7c-8e6f-0d1b2c3a4e5f";
  private static final String EXEMPT_PRIORITY_LEVEL_UID = "e7a9c1b3-2d4f-4f6a-9c8b-7e5d3f1a0b2c";
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private final SimulatedApiserver server;
  private final long connectionId;
  private Optional<X509Certificate> peer;

  private HttpRequest request;
  private ByteArrayOutputStream body;
  private AtomicReference<RecordedRequest> record;
  private String auditId;
  private FrontProxyAuth.Result auth;
  private boolean discarding;
  private boolean busy;
  private WatchStream watch;

  ConnectionHandler(SimulatedApiserver server, long connectionId) {
    this.server = server;
    this.connectionId = connectionId;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof WebSocketFrame f) {
        if (f instanceof CloseWebSocketFrame) {
          ctx.close();
        } else if (f instanceof PingWebSocketFrame) {
          ctx.writeAndFlush(new PongWebSocketFrame(f.content().retain()));
        }
        return;
      }
      if (msg instanceof HttpRequest r) {
        onRequest(ctx, r);
      }
      if (msg instanceof HttpContent c && request != null && !discarding) {
        int n = c.content().readableBytes();
        if (body.size() + n > MAX_BODY) {
          tooLarge(ctx);
        } else {
          c.content().getBytes(c.content().readerIndex(), body, n);
          if (c instanceof LastHttpContent) {
            onComplete(ctx);
          }
        }
      }
    } catch (java.io.IOException e) {
      ctx.close();
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest r) {
    if (r.decoderResult().isFailure()) {
      request = null;
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
          Unpooled.wrappedBuffer(WatchStream.utf8("400 Bad Request")));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      HttpUtil.setContentLength(res, res.content().readableBytes());
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      discarding = true;
      return;
    }
    if (busy) {
      // A pipelined request while a response is pending: not supported, like many servers.
      ctx.close();
      return;
    }
    busy = true;
    request = r;
    body = new ByteArrayOutputStream();
    discarding = false;
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    r.headers().forEach(e -> headers.add(Map.entry(e.getKey(), e.getValue())));
    long declared = HttpUtil.getContentLength(r, 0L);
    auditId = r.headers().get("Audit-Id");
    if (auditId == null || auditId.isBlank()) {
      auditId = UUID.randomUUID().toString();
    }
    auth = server.authenticate(r.headers(), peerCertificate(ctx));
    record = server.recordings().record(new RecordedRequest(r.method().name(), r.uri(), headers, peerCertificate(ctx),
        connectionId, (int) Math.min(Integer.MAX_VALUE, declared), Instant.now(),
        auth == null ? Optional.empty() : auth.user()));
    if (declared > MAX_BODY) {
      tooLarge(ctx);
      return;
    }
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
          Unpooled.EMPTY_BUFFER));
    }
  }

  /** system:anonymous: the authenticators' verdict, or without them no credential at all. */
  private boolean anonymous(HttpRequest r) {
    if (auth != null) {
      return auth.user().map(u -> u.name().equals("system:anonymous")).orElse(false);
    }
    return !r.headers().contains("Authorization") && !r.headers().contains("X-Remote-User");
  }

  private Optional<X509Certificate> peerCertificate(ChannelHandlerContext ctx) {
    if (peer == null) {
      peer = Optional.empty();
      // an HTTP/2 stream's TLS is its connection's
      io.netty.channel.Channel conn = ctx.channel() instanceof io.netty.handler.codec.http2.Http2StreamChannel st
          ? st.parent() : ctx.channel();
      SslHandler ssl = conn.pipeline().get(SslHandler.class);
      if (ssl != null) {
        try {
          Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
          if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
            peer = Optional.of(x);
          }
        } catch (SSLPeerUnverifiedException e) {
          // no client certificate
        }
      }
    }
    return peer;
  }

  private void tooLarge(ChannelHandlerContext ctx) {
    discarding = true;
    body = null;
    ApiException e = new ApiException(413, "RequestEntityTooLarge",
        "Request entity too large: limit is " + MAX_BODY, null, null);
    respond(ctx, ApiRoutes.error(e), false, false);
  }

  private void onComplete(ChannelHandlerContext ctx) {
    HttpRequest r = request;
    byte[] bytes = body.toByteArray();
    body = null;
    request = null;
    record.updateAndGet(rec -> rec.withBodyBytes(bytes.length));
    String path = new QueryStringDecoder(r.uri()).path();
    boolean health = SimulatedApiserver.isHealthPath(path);
    if (!health && server.faults().closingAfterRequestBody()) {
      ctx.close();
      return;
    }
    Duration delay = server.faults().responseDelay();
    if (delay.isZero() || delay.isNegative()) {
      dispatch(ctx, r, bytes, health);
    } else {
      ctx.executor().schedule(() -> {
        if (ctx.channel().isActive()) {
          dispatch(ctx, r, bytes, health);
        }
      }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void dispatch(ChannelHandlerContext ctx, HttpRequest r, byte[] bytes, boolean health) {
    boolean keepAlive = HttpUtil.isKeepAlive(r);
    QueryStringDecoder q = new QueryStringDecoder(r.uri());
    boolean head = r.method().name().equals("HEAD");
    boolean rejected = server.http2Sessions().tokenRejected(r.headers().get("Authorization"));
    if (rejected || (auth != null && auth.unauthorized()) || anonymous(r)) {
      server.http2Sessions().unauthenticated(ctx.channel()); // 1.28+: GOAWAY on HTTP/2
    }
    if (rejected || (auth != null && auth.unauthorized())) {
      respond(ctx, ApiRoutes.error(new ApiException(401, "Unauthorized", "Unauthorized", null, null)), keepAlive, head);
      return;
    }
    if (health) {
      respond(ctx, server.health(q), keepAlive, head);
      return;
    }
    if (server.faults().rejectingAsShuttingDown()) {
      // kube-apiserver --shutdown-send-retry-after: rejected before any processing
      byte[] text = "The apiserver is shutting down, please try again later.\n".getBytes(StandardCharsets.UTF_8);
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS,
          Unpooled.wrappedBuffer(text));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length)
          .set(HttpHeaderNames.RETRY_AFTER, "5")
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    int fail = server.faults().failingStatus();
    if (fail > 0) {
      respond(ctx, ApiRoutes.error(failure(fail)), keepAlive, head);
      return;
    }
    Object result;
    try {
      result = server.routes().route(r.method().name(), q, r.headers(), bytes);
    } catch (ApiException e) {
      result = ApiRoutes.error(e);
    } catch (RuntimeException e) {
      result = ApiRoutes.error(new ApiException(500, "InternalError",
          "Internal error occurred: " + e, null, null));
    }
    if (result instanceof ApiRoutes.Response res) {
      respond(ctx, res, keepAlive, head);
    } else if (result instanceof PodStream stream) {
      HttpHeaders common = new DefaultHttpHeaders();
      addCommonHeaders(common, false);
      stream.start(ctx, r, common, () -> {
        busy = false;
        if (!keepAlive) {
          ctx.close();
        }
      });
    } else {
      if (r.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
        startWebSocketWatch(ctx, r, (ApiRoutes.WatchSpec) result);
      } else {
        startWatch(ctx, (ApiRoutes.WatchSpec) result, keepAlive);
      }
    }
  }

  static ApiException failure(int code) {
    String reason = switch (code) {
      case 400 -> "BadRequest";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "NotFound";
      case 409 -> "Conflict";
      case 410 -> "Expired";
      case 429 -> "TooManyRequests";
      case 503 -> "ServiceUnavailable";
      case 504 -> "Timeout";
      default -> code >= 500 ? "InternalError" : "BadRequest";
    };
    return new ApiException(code, reason, "injected failure (simulated apiserver): " + reason, null, null);
  }

  private void addCommonHeaders(HttpHeaders h, boolean health) {
    h.set("Audit-Id", auditId);
    h.set("X-Sim-Backend", server.name());
    h.set(HttpHeaderNames.CACHE_CONTROL, "no-cache, private");
    h.set(HttpHeaderNames.DATE, HTTP_DATE.format(Instant.now()));
    h.set("X-Kubernetes-PF-FlowSchema-UID", health ? PROBES_FLOW_SCHEMA_UID : FLOW_SCHEMA_UID);
    h.set("X-Kubernetes-PF-PriorityLevel-UID", health ? EXEMPT_PRIORITY_LEVEL_UID : PRIORITY_LEVEL_UID);
  }

  private void respond(ChannelHandlerContext ctx, ApiRoutes.Response res, boolean keepAlive, boolean head) {
    boolean keep = keepAlive && !server.lifecycle().isShuttingDown() && !discarding;
    FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, res.status(),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(res.body()));
    HttpHeaders h = out.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, res.contentType());
    addCommonHeaders(h, res.contentType().startsWith("text/plain"));
    res.headers().forEach(e -> h.add(e.getKey(), e.getValue()));
    HttpUtil.setContentLength(out, res.body().length);
    if (!keep) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    busy = false;
    if (keep) {
      ctx.writeAndFlush(out);
    } else {
      ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void startWatch(ChannelHandlerContext ctx, ApiRoutes.WatchSpec spec, boolean keepAlive) {
    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE,
        spec.protobuf() ? KubeProtobufEncoder.WATCH_CONTENT_TYPE : "application/json;stream=watch");
    addCommonHeaders(res.headers(), false);
    HttpUtil.setTransferEncodingChunked(res, true);
    ctx.writeAndFlush(res);
    watch = new WatchStream(server, ctx, spec, false, () -> {
      watch = null;
      busy = false;
      if (!keepAlive || server.lifecycle().isShuttingDown()) {
        ctx.channel().eventLoop().execute(ctx::close);
      }
    });
    watch.start();
  }

  /**
   * A watch over WebSocket (as the real server offers): one message per event, text for JSON and
   * binary for protobuf (the encoding negotiated from Accept, as for HTTP watches).
   */
  private void startWebSocketWatch(ChannelHandlerContext ctx, HttpRequest r, ApiRoutes.WatchSpec spec) {
    FullHttpRequest full = new DefaultFullHttpRequest(r.protocolVersion(), r.method(), r.uri(),
        Unpooled.EMPTY_BUFFER, r.headers().copy(), EmptyHttpHeaders.INSTANCE);
    try {
      WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory(
          "wss://" + r.headers().get(HttpHeaderNames.HOST, "localhost") + r.uri(),
          null, false, 1 << 20).newHandshaker(full);
      if (hs == null) {
        respond(ctx, ApiRoutes.error(ApiException.badRequest("unsupported WebSocket version")), false, false);
        return;
      }
      HttpHeaders extra = new DefaultHttpHeaders();
      extra.set("Audit-Id", auditId);
      extra.set("X-Sim-Backend", server.name());
      hs.handshake(ctx.channel(), full, extra, ctx.newPromise());
    } finally {
      full.release();
    }
    busy = false;
    watch = new WatchStream(server, ctx, spec, true, () -> watch = null);
    watch.start();
  }

  /** Graceful stop of an HTTP/2 stream: a watch ends cleanly; any other response finishes. */
  void endWatch() {
    if (watch != null) {
      watch.end(true);
    }
  }

  /** Graceful stop: close now if idle; otherwise after the current response. */
  void closeWhenIdle(ChannelHandlerContext ctx) {
    if (watch != null) {
      watch.end(true);
    } else if (!busy) {
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (watch != null) {
      watch.end(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

}
