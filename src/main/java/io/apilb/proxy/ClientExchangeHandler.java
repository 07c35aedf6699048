package io.apilb.proxy;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.WatchRegistry;
import io.apilb.backend.pool.BackendConnectException;
import io.apilb.backend.pool.BackendPool;
import io.apilb.backend.pool.BackendRelayHandler;
import io.apilb.balancing.RequestClass;
import io.apilb.balancing.SelectionContext;
import io.apilb.support.Channels;
import io.apilb.support.DrainEvent;
import io.apilb.support.HandlerNames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request at a time through exactly one backend: the last handler of an HTTP/1.1
 * connection, or the exchange of one HTTP/2 stream, driven by the connection's stream handler
 * through {@link Http2ClientStream} (the stream's frames arrive as the same HTTP/1 objects, so
 * there is one code path). This class holds state transitions only; header rules, retry policy,
 * classification and error bodies live in their own types.
 *
 * <p>States: {@code IDLE → CONNECTING → FORWARDING → IDLE}, or {@code → TUNNEL} after a 101, or
 * {@code → CLOSED}. Backpressure: client and backend channels have auto-read off; the client is
 * read only while the backend is writable, and the backend only while the client is writable.
 * The backend channel lives on this channel's event loop, so no field needs to be volatile.
 */
public final class ClientExchangeHandler extends ChannelInboundHandlerAdapter implements BackendRelayHandler.Listener {
  private static final Logger log = LoggerFactory.getLogger(ClientExchangeHandler.class);

  private enum State { IDLE, CONNECTING, FORWARDING, TUNNEL, CLOSED }

  /** The current context; re-read at the start of each exchange so reloads apply to open connections. */
  private final Supplier<ProxyContext> contexts;
  private ProxyContext px;
  /** HTTP/1.1: this handler's context on the client connection; null for an HTTP/2 stream. */
  private ChannelHandlerContext ctx;
  /** HTTP/2: the stream this exchange serves; null on HTTP/1.1. */
  private final Http2ClientStream stream;
  private State state = State.IDLE;

  // the current exchange
  private long exchangeId;
  private HttpRequest backendHead;
  private IdentityHeaders.Decision identity = IdentityHeaders.Decision.UNCHANGED;
  private HttpMethod method = HttpMethod.GET;
  private RequestClass requestClass = RequestClass.SHORT;
  private boolean clientKeepAlive = true;
  private boolean requestComplete;
  private long requestBodyBytes;
  private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(2);
  /** Copies of the request body for a retry, while it fits apilb.proxy.retry-buffer-bytes. */
  private final ArrayList<ByteBuf> retryBody = new ArrayList<>(2);
  private boolean retryBodyOverflow;
  /** Backends this exchange tried, in order (usually one). */
  private final ArrayList<String> tried = new ArrayList<>(2);
  private String lastConnectFailure;
  private int readRetries;
  private BackendEntry backend;
  private BackendPool pool;
  private Channel backendChannel;
  private BackendRelayHandler relay;
  private boolean counted;
  private boolean responseStarted;
  private boolean skipInformationalEnd;
  private int responseStatus;
  private boolean backendKeepAlive;
  private long startNanos;
  private ScheduledFuture<?> timeout;
  /**
   * A read was requested and no message has arrived yet. With auto-read off, one read() is one
   * read loop: a loop that yields no message for us (TLS records, a partial header) still ends in
   * channelReadComplete, and the demand must then be renewed or the connection stalls.
   */
  private boolean clientReadWanted;
  private String clientAddress;
  /**
   * HTTP/2: the end of our response is written. The stream may then close inside the next flush
   * (a synchronous write completion), while this exchange is still finishing in the same call;
   * that close is the normal end, not the client going away.
   */
  private boolean clientResponseEnded;
  /** Set while this exchange is an open JSON watch the rebalancer may end. */
  private WatchRegistry.Handle watchHandle;
  private boolean endWatchAtBoundary;
  /** The last event byte forwarded ended an event (a newline), or nothing was forwarded yet. */
  private boolean atEventBoundary;
  // access log
  private java.time.Instant startedAt;
  private String requestUri = "";
  private String identityLabel = "anonymous";
  private long responseBytes;
  private String auditId = "";
  private boolean accessRecorded;
  /** apilb is shutting down: no keep-alive after the current exchange. */
  private boolean draining;

  /** The exchange handler of an HTTP/1.1 client connection (the last handler of its pipeline). */
  public ClientExchangeHandler(Supplier<ProxyContext> contexts) {
    this.contexts = contexts;
    this.px = contexts.get();
    this.stream = null;
  }

  /** The exchange of one HTTP/2 stream, driven by the connection's stream handler (not a pipeline). */
  public ClientExchangeHandler(Supplier<ProxyContext> contexts, Http2ClientStream stream) {
    this.contexts = contexts;
    this.px = contexts.get();
    this.stream = stream;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      readClient();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    readClient();
    ctx.fireChannelActive();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (clientReadWanted && state != State.CLOSED) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  /** Asks the client side for its next message (a request head, body content or tunnel bytes). */
  private void readClient() {
    clientReadWanted = true;
    if (stream != null) {
      stream.read();
    } else {
      ctx.read();
    }
  }

  // ---------------------------------------------------------------- the client side, either kind

  private Channel clientConnection() {
    return stream != null ? stream.connection() : ctx.channel();
  }

  private io.netty.channel.EventLoop eventLoop() {
    return clientConnection().eventLoop();
  }

  private boolean clientWritable() {
    return stream != null ? stream.isWritable() : ctx.channel().isWritable();
  }

  private boolean clientActive() {
    return stream != null ? stream.isOpen() : ctx.channel().isActive();
  }

  /** Writes response content (void promise: a failed write closes the client through exceptionCaught). */
  private void clientWrite(HttpContent content) {
    if (stream != null) {
      clientResponseEnded |= content instanceof LastHttpContent;
      stream.writeContent(content);
    } else {
      ctx.write(content, ctx.voidPromise());
    }
  }

  private void clientFlush() {
    if (stream != null) {
      stream.flush();
    } else {
      ctx.flush();
    }
  }

  /** HTTP/1.1: closes the connection; HTTP/2: resets the stream. */
  private void clientClose() {
    if (stream != null) {
      stream.reset();
    } else {
      ctx.close();
    }
  }

  // ---------------------------------------------------------------- client → apilb

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    onClientMessage(msg);
  }

  /** A request head, request content or (in a tunnel) bytes from the client. */
  public void onClientMessage(Object msg) {
    clientReadWanted = false;
    if (state == State.TUNNEL) {
      tunnelFromClient(msg);
    } else if (msg instanceof HttpRequest req) {
      if (state != State.IDLE) {
        ReferenceCountUtil.release(msg); // cannot happen with flow control; never mix exchanges
        return;
      }
      onRequestHead(req);
    } else if (msg instanceof HttpContent content) {
      onRequestContent(content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequestHead(HttpRequest req) {
    resetExchange();
    px = contexts.get();
    startNanos = System.nanoTime();
    method = req.method();
    if (px.accessLog().enabled()) {
      startedAt = java.time.Instant.now();
      requestUri = req.uri();
      identityLabel = credentialKind(req);
    }
    DecoderResult dr = req.decoderResult();
    if (dr.isFailure()) {
      ReferenceCountUtil.release(req);
      clientKeepAlive = false;
      boolean tooLarge = dr.cause() instanceof TooLongHttpHeaderException;
      fail(tooLarge ? ProxyFailure.HEADERS_TOO_LARGE : ProxyFailure.BAD_REQUEST,
          tooLarge ? "request headers too large" : "malformed HTTP request: " + rootMessage(dr.cause()), 0);
      return;
    }
    clientKeepAlive = stream != null || (HttpUtil.isKeepAlive(req) && !draining);
    identity = px.identityHeaders().forRequest(req.headers(), IdentityHeaders.certificateOf(clientConnection()));
    if (identity.refusal().isPresent()) {
      requestComplete = req instanceof FullHttpRequest;
      ReferenceCountUtil.release(req);
      fail(ProxyFailure.UNAUTHORIZED, identity.refusal().get(), 0);
      return;
    }
    requestClass = RequestClassifier.classify(req.uri(), req.headers());
    boolean full = req instanceof FullHttpRequest;
    if (method.equals(HttpMethod.CONNECT) || (stream != null && requestClass == RequestClass.UPGRADE)) {
      ReferenceCountUtil.release(req);
      requestComplete = full;
      fail(ProxyFailure.UPGRADE_NOT_SUPPORTED,
          "CONNECT and protocol upgrades are not supported over HTTP/2; use HTTP/1.1 for exec, attach and port-forward", 0);
      return;
    }
    boolean bodyFollows = full ? ((FullHttpRequest) req).content().isReadable()
        : (stream != null || HeaderRules.requestHasBody(req));
    backendHead = HeaderRules.backendRequest(req, requestClass == RequestClass.UPGRADE, bodyFollows, clientAddress());
    identity.applyTo(backendHead.headers());
    if (full) {
      ByteBuf body = ((FullHttpRequest) req).content();
      if (body.isReadable() && !backendHead.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
        backendHead.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        backendHead.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      }
      requestBodyBytes += body.readableBytes();
      keepForRetry(body);
      pending.add(new DefaultLastHttpContent(body)); // takes over the request's reference
      requestComplete = true;
    }
    long timeoutMillis = px.config().requestTimeout().toMillis();
    if (requestClass == RequestClass.SHORT && timeoutMillis > 0) {
      timeout = eventLoop().schedule(this::onRequestTimeout, timeoutMillis, TimeUnit.MILLISECONDS);
    }
    state = State.CONNECTING;
    connectToBackend();
  }

  private void onRequestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (state == State.CONNECTING) {
      requestComplete |= last;
      requestBodyBytes += content.content().readableBytes();
      keepForRetry(content.content());
      pending.add(content);
      return;
    }
    if (state != State.FORWARDING || backendChannel == null || requestComplete) {
      content.release(); // a body we no longer forward (error already answered)
      return;
    }
    requestComplete = last;
    requestBodyBytes += content.content().readableBytes();
    keepForRetry(content.content());
    backendChannel.writeAndFlush(content, backendChannel.voidPromise());
    if (!last && backendChannel.isWritable()) {
      readClient();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    onClientWritabilityChanged();
    ctx.fireChannelWritabilityChanged();
  }

  public void onClientWritabilityChanged() {
    if (clientWritable() && backendChannel != null
        && (state == State.FORWARDING || state == State.TUNNEL)) {
      backendChannel.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    onClientInactive();
    ctx.fireChannelInactive();
  }

  /** The client connection closed, or (HTTP/2) the stream closed: reset, or ended both ways. */
  public void onClientInactive() {
    if (stream != null && clientResponseEnded && (state == State.CONNECTING || state == State.FORWARDING)) {
      return; // our own END_STREAM closed the stream during a flush; the exchange finishes itself
    }
    if (state == State.CONNECTING || state == State.FORWARDING) {
      px.metrics().proxyFailure(ProxyFailure.CLIENT_CLOSED.metricTag());
      recordAccess(responseStarted ? responseStatus : 499);
      if (backend != null && responseStarted) {
        recordCompletion(responseStatus);
      }
    }
    State was = state;
    state = State.CLOSED;
    // the client went away: cancel the backend request now (a tunnel gets its last bytes first)
    dropExchangeResources(was == State.TUNNEL);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof io.netty.handler.timeout.IdleStateEvent && state == State.TUNNEL) {
      log.debug("exchange {}: tunnel idle for {}, closing", exchangeId, px.config().tunnelIdleTimeout());
      ctx.close(); // channelInactive closes the backend side
      return;
    }
    if (evt instanceof DrainEvent) {
      draining = true;
      if (stream == null) {
        if (state == State.IDLE) {
          state = State.CLOSED;
          ctx.close(); // nothing in progress on this HTTP/1.1 connection
        } else {
          // the response carries Connection: close if it has not started, else close after it
          clientKeepAlive = false;
        }
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client channel {} failed: {}", ctx.channel(), cause.toString());
    ctx.close();
  }

  // ---------------------------------------------------------------- choosing and connecting

  private void connectToBackend() {
    BackendSnapshot snapshot = px.backends().snapshot();
    var choice = px.balancer().select(snapshot, tried.isEmpty() ? SelectionContext.first(requestClass)
        : new SelectionContext(requestClass, Set.copyOf(tried)));
    if (choice.isEmpty()) {
      String why = tried.isEmpty() ? noReadyBackendMessage(snapshot)
          : "no backend could be reached (last error: " + lastConnectFailure + ")";
      // Nothing reached a backend: the client may safely retry, whatever the verb.
      fail(ProxyFailure.NO_READY_BACKEND, why, 1);
      return;
    }
    backend = choice.get();
    tried.add(backend.name());
    pool = px.pools().pool(eventLoop(), backend.backend(), identity.kind());
    long id = exchangeId;
    Future<Channel> f = requestClass == RequestClass.UPGRADE ? pool.connectDedicated() : pool.acquire();
    f.addListener(done -> onBackendAcquired(id, f));
  }

  private void onBackendAcquired(long id, Future<Channel> f) {
    if (!f.isSuccess()) {
      if (id != exchangeId || state != State.CONNECTING) {
        return;
      }
      Throwable cause = f.cause();
      lastConnectFailure = cause.getMessage();
      px.metrics().connectFailure(backend.name());
      px.passiveHealth().onFailure(backend, cause.getMessage());
      String reason = cause instanceof BackendConnectException bce && bce.tls() ? "tls" : "connect";
      log.debug("exchange {}: {}; trying another backend", id, cause.getMessage());
      px.metrics().retry(backend.name(), reason);
      connectToBackend();
      return;
    }
    Channel ch = f.getNow();
    if (log.isDebugEnabled()) {
      log.debug("exchange {} {} {}: backend {} on {}", id, method, backendHead == null ? "" : backendHead.uri(),
          backend.name(), ch);
    }
    if (id != exchangeId || state != State.CONNECTING) {
      pool.release(ch); // the client left or timed out meanwhile; the connection is clean
      return;
    }
    backendChannel = ch;
    relay = ch.pipeline().get(BackendRelayHandler.class);
    relay.attach(this);
    backend.stats().requestStarted(requestClass.longRunning());
    counted = true;
    state = State.FORWARDING;
    // Void promises on the per-request path: no promise or listener per write. A failed write
    // fires exceptionCaught in the backend pipeline, whose relay closes the connection.
    ch.write(backendHead, ch.voidPromise());
    HttpContent c;
    while ((c = pending.poll()) != null) {
      ch.write(c, ch.voidPromise());
    }
    ch.flush();
    if (!requestComplete && ch.isWritable()) {
      readClient();
    }
    ch.read();
  }

  // ---------------------------------------------------------------- backend → client

  @Override
  public void onBackendMessage(Object msg) {
    if (state == State.TUNNEL) {
      tunnelFromBackend(msg);
      return;
    }
    if (state != State.FORWARDING) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse resp) {
      if (resp.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        log.debug("backend {} sent a malformed response: {}", backend.name(), resp.decoderResult().cause().toString());
        backendChannel.close();
        return;
      }
      int code = resp.status().code();
      if (code == 101 && requestClass == RequestClass.UPGRADE) {
        ReferenceCountUtil.release(msg);
        switchToTunnel(resp);
        return;
      }
      if (code / 100 == 1) {
        // 100 Continue is answered by apilb itself (Expect is not forwarded); drop others.
        ReferenceCountUtil.release(msg);
        skipInformationalEnd = true;
        backendChannel.read();
        return;
      }
      if (log.isDebugEnabled()) {
        log.debug("exchange {}: backend {} answered {}", exchangeId, backend.name(), code);
      }
      String rejected = RetryPolicy.rejectedBeforeExecution(resp);
      if (rejected != null) {
        px.passiveHealth().onShuttingDown(backend, "answered " + code + " (" + rejected + ")");
        if (requestComplete && !retryBodyOverflow) {
          // Not executed: any verb may go elsewhere. The rest of this answer is not needed.
          ReferenceCountUtil.release(msg);
          retryElsewhere(rejected);
          return;
        }
      }
      if (code >= 500) {
        px.passiveHealth().onFailure(backend, "HTTP " + code);
      } else {
        px.passiveHealth().onSuccess(backend);
      }
      auditId = resp.headers().get("Audit-Id", "");
      responseStarted = true;
      responseStatus = code;
      backendKeepAlive = HttpUtil.isKeepAlive(resp);
      if (stream != null) {
        // straight to an HTTP/2 HEADERS frame: no intermediate HTTP/1 head to convert again
        clientResponseEnded = resp instanceof LastHttpContent;
        stream.writeHeaders(HeaderRules.clientResponseHttp2(resp), clientResponseEnded);
      } else {
        ctx.write(HeaderRules.clientResponse(resp, method, clientKeepAlive), ctx.voidPromise());
      }
      registerIfJsonWatch(resp);
      ReferenceCountUtil.release(msg);
      if (resp instanceof LastHttpContent) {
        clientFlush();
        finishExchange();
        return;
      }
      // flushed when this backend read completes (onBackendReadComplete): one flush per read
      readBackendIfClientWritable();
      return;
    }
    if (msg instanceof HttpContent content) {
      if (skipInformationalEnd) {
        if (content instanceof LastHttpContent) {
          skipInformationalEnd = false;
        }
        content.release();
        backendChannel.read();
        return;
      }
      boolean last = content instanceof LastHttpContent;
      responseBytes += content.content().readableBytes();
      if (watchHandle != null && content.content().isReadable()) {
        ByteBuf b = content.content();
        atEventBoundary = b.getByte(b.writerIndex() - 1) == '\n';
      }
      // void promises: a failed client write fires exceptionCaught here, which closes
      if (last) {
        clientWrite(content);
        clientFlush();
        finishExchange();
      } else if (endWatchAtBoundary && atEventBoundary) {
        clientWrite(content);
        endWatchNow();
      } else {
        clientWrite(content);
        readBackendIfClientWritable();
      }
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void onBackendReadComplete() {
    if (state == State.FORWARDING) {
      clientFlush();
    }
  }

  @Override
  public void onBackendWritabilityChanged(boolean writable) {
    if (writable && state == State.FORWARDING && !requestComplete) {
      readClient();
    }
  }

  @Override
  public void onBackendInactive() {
    if (state == State.TUNNEL) {
      detachBackend();
      state = State.CLOSED;
      Channels.closeOnFlush(ctx.channel());
      return;
    }
    if (state != State.FORWARDING) {
      return;
    }
    String name = backend.name();
    boolean cleanWatchEnd = watchHandle != null && atEventBoundary;
    detachBackend();
    if (cleanWatchEnd && responseStarted) {
      // A watch whose backend died between events ends like a server-side watch timeout: the
      // client re-watches from its last resourceVersion, on another backend.
      px.passiveHealth().onFailure(backend, "connection closed during a watch");
      endClientStreamCleanly();
      return;
    }
    if (!responseStarted) {
      if (RetryPolicy.mayRetryAfterWrite(method, requestBodyBytes, requestComplete, readRetries)) {
        readRetries++;
        px.metrics().retry(name, "backend_reset");
        log.debug("exchange {}: backend {} closed before responding to {}; retrying elsewhere", exchangeId, name, method);
        replayRequestBody();
        state = State.CONNECTING;
        connectToBackend();
        return;
      }
      px.passiveHealth().onFailure(backend, "connection closed before a response");
      // The backend may have executed it: answer, and never add Retry-After.
      fail(ProxyFailure.BACKEND_RESET, "backend " + name + " closed the connection before responding", 0);
      return;
    }
    // Mid-response: the status line is gone; the only honest signal is to break the stream.
    recordCompletion(responseStatus);
    recordAccess(responseStatus);
    px.metrics().proxyFailure(ProxyFailure.BACKEND_RESET_MID_RESPONSE.metricTag());
    cancelTimeout();
    state = State.CLOSED;
    clientClose();
  }

  private void readBackendIfClientWritable() {
    if (clientWritable() && backendChannel != null) {
      backendChannel.read();
    }
  }

  private void finishExchange() {
    releaseRetryBody();
    recordAccess(responseStatus);
    if (log.isDebugEnabled()) {
      log.debug("exchange {}: complete, request complete={}, backend keep-alive={}", exchangeId, requestComplete,
          backendKeepAlive);
    }
    cancelTimeout();
    recordCompletion(responseStatus);
    Channel b = backendChannel;
    BackendPool p = pool;
    detachBackend();
    boolean reusable = requestComplete && backendKeepAlive && requestClass != RequestClass.UPGRADE;
    if (reusable) {
      p.release(b);
    } else {
      b.close();
    }
    state = State.IDLE;
    if (stream != null) {
      if (!requestComplete) {
        stream.stopRequestBody(); // the client is still sending a body nobody will read
      }
      return;
    }
    if (!clientKeepAlive || !requestComplete) {
      state = State.CLOSED;
      Channels.closeOnFlush(ctx.channel());
      return;
    }
    readClient(); // the next request on this HTTP/1.1 connection
  }

  // ---------------------------------------------------------------- watch rebalancing

  private void registerIfJsonWatch(HttpResponse resp) {
    String type = resp.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    // JSON watch events end with a newline, so an event boundary is visible; protobuf streams
    // are length-framed and are not moved.
    if (resp.status().code() == 200 && requestClass == RequestClass.LONG_RUNNING
        && type.startsWith("application/json") && RequestClassifier.isWatch(backendHead.uri())) {
      long id = exchangeId;
      atEventBoundary = true;
      watchHandle = () -> eventLoop().execute(() -> {
        if (id == exchangeId && state == State.FORWARDING && watchHandle != null) {
          endWatchAtBoundary = true;
          if (atEventBoundary) {
            endWatchNow();
          }
        }
      });
      px.watches().opened(backend.name(), watchHandle);
    }
  }

  /** Ends the client's watch cleanly (a clean end of stream, not an error) and drops the backend stream. */
  private void endWatchNow() {
    log.debug("exchange {}: ending watch on {} to rebalance", exchangeId, backend.name());
    Channel b = backendChannel;
    detachBackend();
    b.close();
    endClientStreamCleanly();
  }

  /** Completes the client's response (the backend side is already detached). */
  private void endClientStreamCleanly() {
    recordAccess(responseStatus);
    cancelTimeout();
    recordCompletion(responseStatus);
    clientWrite(LastHttpContent.EMPTY_LAST_CONTENT);
    clientFlush();
    state = State.IDLE;
    if (stream != null) {
      return;
    }
    if (clientKeepAlive && requestComplete) {
      readClient();
    } else {
      state = State.CLOSED;
      Channels.closeOnFlush(ctx.channel());
    }
  }

  // ---------------------------------------------------------------- upgrades

  private void switchToTunnel(HttpResponse resp) {
    cancelTimeout();
    responseStarted = true;
    responseStatus = 101;
    state = State.TUNNEL;
    HttpResponse head = HeaderRules.clientResponse(resp, method, true);
    FullHttpResponse switching = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), Unpooled.EMPTY_BUFFER);
    switching.headers().set(head.headers());
    ctx.writeAndFlush(switching).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        f.channel().close();
      }
    });
    // Codecs go: from here on both sides are opaque bytes. Bytes the decoders already buffered
    // are passed on as ByteBufs when they are removed.
    ChannelPipeline cp = ctx.pipeline();
    removeIfPresent(cp, HandlerNames.FLOW_CONTROL);
    removeIfPresent(cp, HandlerNames.HTTP1_EXPECT_CONTINUE);
    removeIfPresent(cp, HandlerNames.HTTP1_CODEC);
    ChannelPipeline bp = backendChannel.pipeline();
    removeIfPresent(bp, HandlerNames.BACKEND_HTTP_CODEC);
    recordCompletion(101);
    recordAccess(101);
    long idleMillis = px.config().tunnelIdleTimeout().toMillis();
    if (idleMillis > 0) {
      cp.addBefore(HandlerNames.EXCHANGE, HandlerNames.TUNNEL_IDLE,
          new io.netty.handler.timeout.IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
    }
    readClient();
    backendChannel.read();
  }

  private void tunnelFromClient(Object msg) {
    ByteBuf bytes = toBytes(msg);
    if (bytes == null || backendChannel == null) {
      if (bytes != null) {
        bytes.release();
      }
      return;
    }
    backendChannel.writeAndFlush(bytes).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        readClient();
      } else {
        f.channel().close();
      }
    });
  }

  private void tunnelFromBackend(Object msg) {
    ByteBuf bytes = toBytes(msg);
    if (bytes == null) {
      if (backendChannel != null) {
        backendChannel.read();
      }
      return;
    }
    ctx.writeAndFlush(bytes).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        if (backendChannel != null) {
          backendChannel.read();
        }
      } else {
        f.channel().close();
      }
    });
  }

  /** Raw bytes from a message seen after a switch (decoders may still emit a last HttpContent). */
  private static ByteBuf toBytes(Object msg) {
    if (msg instanceof ByteBuf b) {
      if (b.isReadable()) {
        return b;
      }
      b.release();
      return null;
    }
    if (msg instanceof HttpContent c) {
      if (c.content().isReadable()) {
        return c.content();
      }
      c.release();
      return null;
    }
    ReferenceCountUtil.release(msg);
    return null;
  }

  private static void removeIfPresent(ChannelPipeline p, String name) {
    if (p.get(name) != null) {
      p.remove(name);
    }
  }

  // ---------------------------------------------------------------- retries

  /**
   * Sends the whole request to another backend after this one rejected it unexecuted. The
   * rejecting connection is closed (it said Connection: close or is shutting down).
   */
  private void retryElsewhere(String reason) {
    String name = backend.name();
    Channel b = backendChannel;
    detachBackend();
    b.close();
    px.metrics().retry(name, reason);
    log.debug("exchange {}: backend {} rejected {} unexecuted ({}); retrying elsewhere", exchangeId, name, method, reason);
    replayRequestBody();
    state = State.CONNECTING;
    connectToBackend();
  }

  /** Keeps a copy of request body bytes while they fit the retry buffer. */
  private void keepForRetry(ByteBuf bytes) {
    if (retryBodyOverflow || !bytes.isReadable()) {
      return;
    }
    if (requestBodyBytes > px.config().retryBufferBytes()) {
      retryBodyOverflow = true;
      releaseRetryBody();
      return;
    }
    retryBody.add(bytes.retainedDuplicate());
  }

  /** Queues the kept body (and its end) to be written to the next backend. */
  private void replayRequestBody() {
    releasePending();
    for (ByteBuf b : retryBody) {
      pending.add(new io.netty.handler.codec.http.DefaultHttpContent(b.retainedDuplicate()));
    }
    pending.add(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  private void releaseRetryBody() {
    for (ByteBuf b : retryBody) {
      b.release();
    }
    retryBody.clear();
  }

  // ---------------------------------------------------------------- failures and bookkeeping

  private void onRequestTimeout() {
    timeout = null;
    if (state != State.CONNECTING && state != State.FORWARDING) {
      return;
    }
    String who = backend == null ? "a backend" : "backend " + backend.name();
    fail(ProxyFailure.BACKEND_TIMEOUT,
        "request to " + who + " timed out after " + px.config().requestTimeout().toSeconds() + "s", 0);
  }

  /** Answers the client with a Status body (or breaks the stream if a response already began). */
  private void fail(ProxyFailure failure, String message, int retryAfterSeconds) {
    dropExchangeResources(false);
    px.metrics().proxyFailure(failure.metricTag());
    recordAccess(responseStarted ? responseStatus : failure.status().code());
    if (state == State.CLOSED || !clientActive()) {
      state = State.CLOSED;
      return;
    }
    if (responseStarted) {
      state = State.CLOSED;
      clientClose();
      return;
    }
    log.debug("exchange {} {}: {} {}", exchangeId, method, failure.status().code(), message);
    FullHttpResponse r = StatusResponses.failure(clientConnection().alloc(), failure, message, retryAfterSeconds);
    if (stream != null) {
      clientResponseEnded = true; // before the flush, which may close the stream at once
      stream.writeResponse(r);
      stream.flush();
      state = State.IDLE;
      if (!requestComplete) {
        stream.stopRequestBody(); // the rest of the body will not be read
      }
      return;
    }
    boolean close = !clientKeepAlive || !requestComplete;
    if (close) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture wf = ctx.writeAndFlush(r);
    if (close) {
      state = State.CLOSED;
      wf.addListener(ChannelFutureListener.CLOSE);
    } else {
      state = State.IDLE;
      readClient();
    }
  }

  /** One access-log line per exchange (the log decides about sampling). */
  private void recordAccess(int status) {
    if (accessRecorded || !px.accessLog().enabled() || startedAt == null) {
      return;
    }
    accessRecorded = true;
    if (identity.identity().isPresent()) {
      identityLabel = identity.identity().get().user();
    }
    int q = requestUri.indexOf('?');
    px.accessLog().record(new AccessLogEntry(startedAt, clientAddress(), stream != null ? "h2" : "http1", identityLabel,
        method.name(), q < 0 ? requestUri : requestUri.substring(0, q), RequestInfo.parse(method.name(), requestUri),
        requestClass.label(), backend == null ? "" : backend.name(), status, responseBytes,
        (System.nanoTime() - startNanos) / 1000, Math.max(0, tried.size() - 1), auditId));
  }

  /** "token" when the request carries a bearer credential (header or WebSocket subprotocol), else "anonymous". */
  private static String credentialKind(HttpRequest req) {
    if (req.headers().contains(HttpHeaderNames.AUTHORIZATION)) {
      return "token";
    }
    String protocols = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "");
    return protocols.contains(IdentityHeaders.WEBSOCKET_BEARER_PREFIX) ? "token" : "anonymous";
  }

  private void recordCompletion(int status) {
    if (backend != null) {
      px.metrics().requestCompleted(backend.name(), requestClass.label(), status, System.nanoTime() - startNanos);
    }
  }

  /** Drops what the current exchange holds: its timer, queued and kept body, backend connection. */
  private void dropExchangeResources(boolean flushBackendFirst) {
    cancelTimeout();
    releasePending();
    releaseRetryBody();
    if (backendChannel != null) {
      Channel b = backendChannel;
      detachBackend();
      if (flushBackendFirst) {
        Channels.closeOnFlush(b);
      } else {
        b.close();
      }
    }
  }

  private void detachBackend() {
    if (relay != null) {
      relay.detach();
    }
    if (watchHandle != null) {
      px.watches().closed(backend.name(), watchHandle);
      watchHandle = null;
    }
    if (counted) {
      backend.stats().requestEnded(requestClass.longRunning());
      counted = false;
    }
    relay = null;
    backendChannel = null;
  }

  private void resetExchange() {
    exchangeId++;
    backendHead = null;
    requestComplete = false;
    requestBodyBytes = 0;
    releasePending();
    releaseRetryBody();
    retryBodyOverflow = false;
    tried.clear();
    lastConnectFailure = null;
    readRetries = 0;
    backend = null;
    pool = null;
    responseStarted = false;
    clientResponseEnded = false;
    accessRecorded = false;
    responseBytes = 0;
    auditId = "";
    skipInformationalEnd = false;
    endWatchAtBoundary = false;
    responseStatus = 0;
    backendKeepAlive = false;
  }

  private void releasePending() {
    HttpContent c;
    while ((c = pending.poll()) != null) {
      ReferenceCountUtil.release(c);
    }
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  /** The client's IP, formatted once per connection or stream. */
  private String clientAddress() {
    if (clientAddress == null) {
      clientAddress = formatClientAddress();
    }
    return clientAddress;
  }

  private String formatClientAddress() {
    SocketAddress a = clientConnection().remoteAddress();
    if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
      return isa.getAddress().getHostAddress();
    }
    return String.valueOf(a);
  }

  private static String noReadyBackendMessage(BackendSnapshot snapshot) {
    if (snapshot.entries().isEmpty()) {
      return "no backend is configured";
    }
    StringBuilder b = new StringBuilder("no ready kube-apiserver backend:");
    for (BackendEntry e : snapshot.entries()) {
      b.append(' ').append(e.name()).append(" is ").append(e.state().summary())
          .append(" (").append(e.state().reason()).append(");");
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  private static String rootMessage(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    if (t instanceof TooLongFrameException) {
      return t.getMessage();
    }
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
  }
}
