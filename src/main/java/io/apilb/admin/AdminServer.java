package io.apilb.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.BackendState;
import io.apilb.backend.HealthFlag;
import io.apilb.config.AdminConfig;
import io.apilb.metrics.PrometheusExporter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: HTTP/1.1 (HTTPS when {@code apilb.admin.tls} is set; who may do what is
 * {@link AdminAccess}'s) on {@link AdminConfig#address()}:{@link AdminConfig#port()}
 * (port 0 picks a free one).
 *
 * <pre>
 * GET  /metrics                 Prometheus text format 0.0.4
 * GET  /livez                   200 ok while the process runs
 * GET  /readyz                  200 while at least one backend is ready, else 503 with the reasons
 * GET  /                        the status page (HTML, refreshes itself)
 * GET  /status                  everything on the status page as JSON
 * GET  /backends                JSON array: name, address, state, flags, reason, since, lastProbe,
 *                               lastProbeAt, inFlight, activeLongRunning, requests
 * POST /backends/{name}/drain   set DISABLED_BY_OPERATOR (404 unknown backend, 405 not POST)
 * POST /backends/{name}/undrain clear it
 * </pre>
 *
 * Threading: the event loop only parses and routes. Scrapes and operator changes run on the
 * control executor (the single writer of backend state); the response is written from there.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final int MAX_REQUEST = 64 * 1024;
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json";

  private final AdminConfig config;
  private final BackendSet backends;
  private final PrometheusExporter exporter;
  private final ScheduledExecutorService control;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Class<? extends ServerChannel> channelClass;
  /**
   * The JSON writer, made at the first JSON reply: Jackson's data binding is some 400 classes
   * (about 3 MiB of a sidecar's memory) that an admin port answering only /readyz and /metrics
   * never needs.
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new com.fasterxml.jackson.databind.module.SimpleModule()
        .addSerializer(Instant.class, com.fasterxml.jackson.databind.ser.std.ToStringSerializer.instance));
  }
  private final Supplier<StatusReport> status;
  private final ChannelGroup channels = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
  private final AdminAccess access;
  private final Supplier<SslContext> tls;
  private volatile Channel server;
  private volatile boolean shuttingDown;

  public AdminServer(
      AdminConfig config,
      BackendSet backends,
      PrometheusExporter exporter,
      ScheduledExecutorService control,
      EventLoopGroup bossGroup,
      EventLoopGroup workerGroup,
      Class<? extends ServerChannel> channelClass) {
    this(config, backends, exporter, control, bossGroup, workerGroup, channelClass, new AdminAccess(Optional.empty()),
        () -> null, null);
  }

  /**
   * @param access who may use which endpoint (see {@link AdminAccess})
   * @param tls the TLS context for the next admin connection; null: plain HTTP
   * @param status builds the status page's content on the control executor (null: no page)
   */
  public AdminServer(
      AdminConfig config,
      BackendSet backends,
      PrometheusExporter exporter,
      ScheduledExecutorService control,
      EventLoopGroup bossGroup,
      EventLoopGroup workerGroup,
      Class<? extends ServerChannel> channelClass,
      AdminAccess access,
      Supplier<SslContext> tls,
      Supplier<StatusReport> status) {
    this.status = status;
    this.access = Objects.requireNonNull(access, "access");
    this.tls = Objects.requireNonNull(tls, "tls");
    this.config = Objects.requireNonNull(config, "config");
    this.backends = Objects.requireNonNull(backends, "backends");
    this.exporter = Objects.requireNonNull(exporter, "exporter");
    this.control = Objects.requireNonNull(control, "control");
    this.bossGroup = Objects.requireNonNull(bossGroup, "bossGroup");
    this.workerGroup = Objects.requireNonNull(workerGroup, "workerGroup");
    this.channelClass = Objects.requireNonNull(channelClass, "channelClass");
  }

  /** Binds the listener (start-up thread, blocks until bound) and returns the bound port. */
  public int start() throws InterruptedException {
    Channel ch = new ServerBootstrap()
        .group(bossGroup, workerGroup)
        .channel(channelClass)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel c) {
            channels.add(c);
            SslContext ssl = tls.get();
            if (ssl != null) {
              c.pipeline().addLast("tls", ssl.newHandler(c.alloc()));
            }
            c.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST))
                .addLast("access", new AdminAccessHandler(access))
                .addLast("admin", new AdminHandler());
          }
        })
        .bind(new InetSocketAddress(config.address(), config.port()))
        .sync()
        .channel();
    server = ch;
    channels.add(ch);
    access.bound((InetSocketAddress) ch.localAddress());
    log.info("admin listening on {} ({})", ch.localAddress(), tls.get() != null ? "HTTPS" : "HTTP");
    return port();
  }

  /** The bound port, or -1 before {@link #start()}. */
  public int port() {
    Channel ch = server;
    return ch == null ? -1 : ((InetSocketAddress) ch.localAddress()).getPort();
  }

  /** Closes the listener and its connections (the event loop groups belong to the caller). */
  @Override
  public void close() {
    channels.close().awaitUninterruptibly();
  }

  /** A response to write: status, content type and body. */
  private record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    static Reply text(HttpResponseStatus status, String body) {
      return new Reply(status, TEXT, (body + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }
  }

  private final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (req.decoderResult().isFailure()) {
        write(ctx, Reply.text(HttpResponseStatus.BAD_REQUEST, "bad request"), false);
        return;
      }
      String path = new QueryStringDecoder(req.uri()).path();
      HttpMethod method = req.method();
      CompletableFuture<Reply> reply;
      try {
        reply = route(method, path);
      } catch (RuntimeException e) {
        reply = CompletableFuture.failedFuture(e);
      }
      reply.whenComplete((r, t) -> {
        if (t != null) {
          log.warn("admin {} {} failed", method, path, t);
          r = Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
        }
        write(ctx, r, keepAlive);
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("admin connection error", cause);
      ctx.close();
    }
  }

  private CompletableFuture<Reply> route(HttpMethod method, String path) {
    if (path.equals("/livez")) {
      return get(method, () -> Reply.text(HttpResponseStatus.OK, "ok"));
    }
    if (path.equals("/readyz")) {
      return get(method, this::readyz);
    }
    if (path.equals("/metrics")) {
      if (!method.equals(HttpMethod.GET)) {
        return done(notAllowed("GET"));
      }
      return onControl(() -> new Reply(HttpResponseStatus.OK, PrometheusExporter.CONTENT_TYPE,
          exporter.scrape().getBytes(StandardCharsets.UTF_8), Map.of()));
    }
    if (path.equals("/backends")) {
      return get(method, this::backendsJson);
    }
    if (status != null && (path.equals("/") || path.equals("/status"))) {
      if (!method.equals(HttpMethod.GET)) {
        return done(notAllowed("GET"));
      }
      boolean html = path.equals("/");
      return onControl(() -> html
          ? new Reply(HttpResponseStatus.OK, "text/html; charset=utf-8",
              StatusPage.render(status.get()).getBytes(StandardCharsets.UTF_8), Map.of())
          : jsonReply(HttpResponseStatus.OK, status.get()));
    }
    String[] parts = path.split("/");
    // "", "backends", name, action
    if (parts.length == 4 && parts[1].equals("backends")
        && (parts[3].equals("drain") || parts[3].equals("undrain"))) {
      if (!method.equals(HttpMethod.POST)) {
        return done(notAllowed("POST"));
      }
      return onControl(() -> setDrained(parts[2], parts[3].equals("drain")));
    }
    return done(Reply.text(HttpResponseStatus.NOT_FOUND, "not found: " + path));
  }

  private CompletableFuture<Reply> get(HttpMethod method, Supplier<Reply> handler) {
    return done(method.equals(HttpMethod.GET) ? handler.get() : notAllowed("GET"));
  }

  private static CompletableFuture<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }

  private CompletableFuture<Reply> onControl(Supplier<Reply> work) {
    return CompletableFuture.supplyAsync(work, control);
  }

  private static Reply notAllowed(String allow) {
    Reply r = Reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed; use " + allow);
    return new Reply(r.status(), r.contentType(), r.body(), Map.of(HttpHeaderNames.ALLOW.toString(), allow));
  }

  /** From now on /readyz answers 503: apilb is shutting down and outer balancers should move away. */
  public void markShuttingDown() {
    shuttingDown = true;
  }

  private Reply readyz() {
    if (shuttingDown) {
      return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down");
    }
    BackendSnapshot snap = backends.snapshot();
    if (!snap.ready().isEmpty()) {
      return Reply.text(HttpResponseStatus.OK, "ok");
    }
    StringBuilder sb = new StringBuilder("no ready backend");
    for (BackendEntry e : snap.entries()) {
      sb.append("\n[-]").append(e.name()).append(' ').append(e.state().summary())
          .append(": ").append(e.state().reason());
    }
    return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, sb.toString());
  }

  private Reply backendsJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (BackendEntry e : backends.snapshot().entries()) {
      out.add(describe(e));
    }
    return jsonReply(HttpResponseStatus.OK, out);
  }

  /** Control thread: sets or clears the operator's drain flag. */
  private Reply setDrained(String name, boolean drained) {
    Optional<BackendEntry> before = backends.snapshot().byName(name);
    if (before.isEmpty()) {
      return Reply.text(HttpResponseStatus.NOT_FOUND, "unknown backend: " + name);
    }
    String why = drained ? "operator: drained via admin" : "operator: undrained via admin";
    Instant now = backends.clock().instant();
    backends.update(name, s -> s.withFlag(HealthFlag.DISABLED_BY_OPERATOR, drained, why, now));
    return jsonReply(HttpResponseStatus.OK, describe(backends.snapshot().byName(name).orElseThrow()));
  }

  private static Map<String, Object> describe(BackendEntry e) {
    BackendState s = e.state();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", e.name());
    m.put("address", e.backend().address());
    m.put("state", s.summary());
    m.put("flags", s.flags().stream().sorted().map(HealthFlag::label).toList());
    m.put("reason", s.reason());
    m.put("since", s.since().toString());
    m.put("lastProbe", s.lastProbe());
    m.put("lastProbeAt", s.lastProbeAt().equals(Instant.EPOCH) ? null : s.lastProbeAt().toString());
    m.put("inFlight", e.stats().inFlight());
    m.put("activeLongRunning", e.stats().activeLongRunning());
    m.put("requests", e.stats().requests());
    return m;
  }

  private Reply jsonReply(HttpResponseStatus status, Object value) {
    try {
      return new Reply(status, JSON, Json.MAPPER.writeValueAsBytes(value), Map.of());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void write(ChannelHandlerContext ctx, Reply r, boolean keepAlive) {
    ByteBuf body = Unpooled.wrappedBuffer(r.body());
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), body);
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
        .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    r.headers().forEach(res.headers()::set);
    if (keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(res);
    } else {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
