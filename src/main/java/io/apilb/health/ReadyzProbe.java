package io.apilb.health;

import io.apilb.backend.Backend;
import io.apilb.config.HealthConfig;
import io.apilb.health.ProbeResult.Outcome;
import io.apilb.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * {@code GET /readyz?verbose} over HTTP/1.1 and TLS. One keep-alive connection per backend is
 * reused across probes (no TLS handshake per probe; kube-apiserver closes anonymous HTTP/2
 * connections after each request, hence HTTP/1.1) and reopened when it closes.
 *
 * <p>Threading: each backend's connection state lives on one event loop, chosen when the backend
 * is first probed; {@link #probe} only hands work to that loop and never blocks.
 */
public final class ReadyzProbe implements Probe {
  /** Cap on the body kept for parsing; the rest is read and dropped. */
  static final int MAX_BODY = 64 * 1024;

  private final EventLoopGroup group;
  private final Class<? extends SocketChannel> channelClass;
  private final SslContext sslContext;
  private final String requestUri;
  private final Duration timeout;
  private final Map<Backend, Connection> connections = new ConcurrentHashMap<>();

  /**
   * @param sslContext a backend-client context (see {@link TlsContexts#backendClient}) without a
   *     client certificate: readyz is readable anonymously
   */
  public ReadyzProbe(
      HealthConfig config,
      EventLoopGroup group,
      Class<? extends SocketChannel> channelClass,
      SslContext sslContext) {
    this.group = Objects.requireNonNull(group, "group");
    this.channelClass = Objects.requireNonNull(channelClass, "channelClass");
    this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
    this.timeout = config.timeout();
    this.requestUri = config.path() + (config.path().contains("?") ? "&" : "?") + "verbose";
  }

  @Override
  public CompletableFuture<ProbeResult> probe(Backend backend) {
    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
    try {
      Connection c = connections.computeIfAbsent(backend, b -> new Connection(b, group.next()));
      c.loop.execute(() -> c.start(result));
    } catch (RuntimeException e) { // rejected: the group is shutting down
      result.complete(ProbeResult.failure(Outcome.PROTOCOL_ERROR, "probe: " + e));
    }
    return result;
  }

  @Override
  public void forget(Backend backend) {
    Connection c = connections.remove(backend);
    if (c != null) {
      c.loop.execute(c::close);
    }
  }

  @Override
  public void close() {
    for (Backend b : connections.keySet()) {
      forget(b);
    }
  }

  /** Number of TCP connections opened so far to {@code backend} (for tests and logs). */
  public int connectionsOpened(Backend backend) {
    Connection c = connections.get(backend);
    return c == null ? 0 : c.opened;
  }

  /** One backend's kept connection and its probe in flight. Event-loop confined. */
  private final class Connection {
    private final Backend backend;
    private final EventLoop loop;
    private Channel channel;
    private Attempt current;
    private volatile int opened;
    private boolean closed;

    Connection(Backend backend, EventLoop loop) {
      this.backend = backend;
      this.loop = loop;
    }

    void start(CompletableFuture<ProbeResult> result) {
      if (closed) {
        result.complete(ProbeResult.failure(Outcome.PROTOCOL_ERROR, "probe closed"));
        return;
      }
      if (current != null) {
        result.complete(ProbeResult.failure(Outcome.PROTOCOL_ERROR, "previous probe still running"));
        return;
      }
      Attempt a = new Attempt(result);
      current = a;
      a.timer = loop.schedule(
          () -> finish(a, ProbeResult.failure(Outcome.TIMEOUT, "timeout after " + human(timeout)), true),
          timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (channel != null && channel.isActive()) {
        a.reused = true;
        a.channel = channel;
        send(a, channel);
      } else {
        connect(a);
      }
    }

    private void connect(Attempt a) {
      opened++;
      ChannelFuture cf = new Bootstrap()
          .group(loop)
          .channel(channelClass)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast("tls", TlsContexts.newBackendHandler(sslContext, ch.alloc(), backend.verifiedName(), backend.port()))
                  .addLast("http", new HttpClientCodec())
                  .addLast("readyz", new ResponseHandler());
            }
          })
          .connect(backend.host(), backend.port());
      Channel ch = cf.channel();
      channel = ch;
      a.channel = ch;
      ch.closeFuture().addListener(f -> onClosed(ch));
      cf.addListener(f -> {
        if (!f.isSuccess()) {
          finish(a, classify(f.cause(), Outcome.CONNECT_FAILED), true);
          return;
        }
        ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
          if (h.isSuccess()) {
            send(a, ch);
          } else {
            finish(a, classify(h.cause(), Outcome.TLS_FAILED), true);
          }
        });
      });
    }

    private void send(Attempt a, Channel ch) {
      if (current != a || a.channel != ch) {
        return;
      }
      FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, requestUri);
      req.headers()
          .set(HttpHeaderNames.HOST, backend.address())
          .set(HttpHeaderNames.USER_AGENT, "apilb-probe")
          .set(HttpHeaderNames.ACCEPT, "*/*")
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      a.sent = true;
      ch.writeAndFlush(req).addListener(f -> {
        if (!f.isSuccess()) {
          finish(a, classify(f.cause(), Outcome.PROTOCOL_ERROR), true);
        }
      });
    }

    private void onClosed(Channel ch) {
      if (channel == ch) {
        channel = null;
      }
      Attempt a = current;
      if (a == null || a.channel != ch || !a.sent) {
        return; // before the request is sent, the connect and handshake listeners classify
      }
      if (a.reused && a.status == 0 && !closed) {
        // The kept connection was closed (idle timeout) as we reused it: retry once on a new one.
        a.reused = false;
        connect(a);
        return;
      }
      finish(a, ProbeResult.failure(Outcome.PROTOCOL_ERROR, "connection closed before response"), false);
    }

    void close() {
      closed = true;
      if (current != null) {
        finish(current, ProbeResult.failure(Outcome.PROTOCOL_ERROR, "probe closed"), true);
      }
      if (channel != null) {
        channel.close();
      }
    }

    /** Completes {@code a} once; {@code closeChannel} drops the kept connection. */
    void finish(Attempt a, ProbeResult r, boolean closeChannel) {
      if (current != a) {
        return;
      }
      current = null;
      if (a.timer != null) {
        a.timer.cancel(false);
      }
      if (closeChannel && channel != null) {
        Channel ch = channel;
        channel = null;
        ch.close();
      }
      a.result.complete(r);
    }

    /** Reads one response into {@link #current}. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<HttpObject> {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        Attempt a = current;
        if (a == null || a.channel != ctx.channel()) {
          return; // late bytes of a timed-out probe: the channel is being closed anyway
        }
        if (msg.decoderResult().isFailure()) {
          finish(a, classify(msg.decoderResult().cause(), Outcome.PROTOCOL_ERROR), true);
          return;
        }
        if (msg instanceof HttpResponse res) {
          a.status = res.status().code();
          a.keepAlive = HttpUtil.isKeepAlive(res);
        }
        if (msg instanceof HttpContent content) {
          int room = MAX_BODY - a.body.size();
          int n = Math.min(room, content.content().readableBytes());
          if (n > 0) {
            byte[] bytes = new byte[n];
            content.content().getBytes(content.content().readerIndex(), bytes);
            a.body.write(bytes, 0, n);
          }
          if (msg instanceof LastHttpContent) {
            String body = a.body.toString(StandardCharsets.UTF_8);
            ProbeResult r = ProbeResult.response(a.status, body);
            finish(a, r, !a.keepAlive);
          }
        }
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Attempt a = current;
        if (a != null) {
          finish(a, classify(cause, a.sent ? Outcome.PROTOCOL_ERROR : Outcome.TLS_FAILED), true);
        } else {
          ctx.close();
        }
      }
    }
  }

  /** One probe request on a connection. */
  private static final class Attempt {
    final CompletableFuture<ProbeResult> result;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    ScheduledFuture<?> timer;
    /** The connection this attempt was sent (or is being connected) on. */
    Channel channel;
    boolean reused;
    boolean sent;
    boolean keepAlive;
    int status;

    Attempt(CompletableFuture<ProbeResult> result) {
      this.result = result;
    }
  }

  /** Maps an exception to a probe outcome: the layer it came from, else {@code fallback}. */
  static ProbeResult classify(Throwable cause, Outcome fallback) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return ProbeResult.failure(Outcome.TLS_FAILED, "tls: " + message(t));
      }
      if (t instanceof io.netty.channel.ConnectTimeoutException) {
        return ProbeResult.failure(Outcome.CONNECT_FAILED, "connect timeout");
      }
      if (t instanceof ConnectException) {
        String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return ProbeResult.failure(
            Outcome.CONNECT_FAILED, m.contains("refused") ? "connect refused" : "connect: " + message(t));
      }
    }
    if (cause instanceof ClosedChannelException) {
      return ProbeResult.failure(fallback, fallback.tag() + ": connection closed");
    }
    String prefix = fallback == Outcome.TLS_FAILED ? "tls: " : fallback.tag() + ": ";
    return ProbeResult.failure(fallback, prefix + message(cause));
  }

  private static String message(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
