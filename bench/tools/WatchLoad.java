// Watch load for bench/watches.sh: holds thousands of Kubernetes watches over a few HTTP/2
// connections, then opens a burst of new ones, and reports each watch's time to first byte.
//
// Why a program of our own: h2load and similar tools measure requests that end; a watch does not
// end, and what matters here is what holding 10,000 of them costs a proxy and how fast new ones
// open meanwhile. Run as a single-file source program with apilb's shaded jar (Netty with HTTP/2
// and BoringSSL) on the class path:
//
//   java -cp target/apilb.jar bench/tools/WatchLoad.java --url https://127.0.0.1:19620 \
//       --ca ca.crt [--cert client.crt --key client.key | --token T] \
//       --connections 100 --watches 10000 --burst 2000 [--burst-when FILE] [--exit-when FILE]
//
// Steps, each printed as one JSON line on stdout (logs go to stderr):
//   1. opens --connections TLS connections (ALPN h2 required) and waits for each one's SETTINGS;
//   2. lists the collection once to learn its resourceVersion, so every watch starts from there
//      (as client-go's informers do after their list) and answers with its HEADERS at once
//      instead of replaying objects first;
//   3. "hold": opens --watches watches round robin over the connections, as fast as it can (or at
//      --rate per second), and waits until each has its response HEADERS (or failed);
//   4. "burst": once --burst-when exists (at once without it), opens --burst more watches as fast
//      as possible on the same connections, keeping the first ones open;
//   5. "end": once --exit-when exists (at once without it), says how many watches ended or were
//      reset while held, cancels every watch with RST_STREAM(CANCEL) (as client-go does when an
//      informer stops; a proxy that only noticed the closed connection might keep its backend
//      stream open until the next event), closes everything and exits.
//
// A watch the proxy or apiserver ends cleanly while it is held (a 200 stream that reaches
// END_STREAM, e.g. apilb moving watches to a less loaded backend) is opened again at once on
// the same connection from the same resourceVersion, as client-go's reflector does, so the number
// held stays what was asked; those count as "rewatched" and not in the time-to-first-byte figures.
//
// A connection never gets more watches than the SETTINGS_MAX_CONCURRENT_STREAMS its peer
// advertised: when every connection is full, a new one is opened and counted
// ("extraConnections"), so a proxy with a low limit shows up as extra client connections rather
// than as refused streams.

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

public final class WatchLoad {
  // ---- options ------------------------------------------------------------------------------
  static URI url;
  static String path = "/api/v1/namespaces/default/configmaps";
  static File ca;
  static File cert;
  static File key;
  static String token;
  static int connections = 100;
  static int watches = 10_000;
  static int burst = 0;
  static int rate = 0; // watches per second while opening the held ones; 0 = as fast as possible
  static int timeoutSeconds = 1800; // the watches' own timeoutSeconds: longer than a bench run
  static long answerWaitMillis = 120_000; // a watch without response HEADERS by then has failed
  static Path burstWhen;
  static Path exitWhen;

  // ---- state ----------------------------------------------------------------------------------
  static EventLoopGroup group;
  static SslContext ssl;
  static final List<Conn> conns = new ArrayList<>();
  static int nextConn; // round-robin position (only the main thread picks connections)
  static final AtomicInteger extraConnections = new AtomicInteger();
  static final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  static final AtomicInteger endedWhileHeld = new AtomicInteger(); // answered 200, then ended or reset
  static final AtomicInteger rewatched = new AtomicInteger();
  static volatile boolean closing; // set before the final close: no more re-watches

  public static void main(String[] args) throws Exception {
    parse(args);
    SslContextBuilder b = SslContextBuilder.forClient()
        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
        .trustManager(ca)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2));
    if (cert != null) {
      b.keyManager(cert, key);
    }
    ssl = b.build();
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    try {
      run();
    } finally {
      for (Conn c : conns) {
        c.channel.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  static void run() throws Exception {
    long t0 = System.nanoTime();
    List<CompletableFuture<Conn>> opening = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      opening.add(connect());
    }
    for (CompletableFuture<Conn> f : opening) {
      conns.add(f.get(60, TimeUnit.SECONDS));
    }
    log(connections + " connections up in " + ms(System.nanoTime() - t0) + " ms; peer allows "
        + conns.get(0).maxStreams + " streams per connection");

    String rv = list();
    String watchPath = path + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + rv
        + "&timeoutSeconds=" + timeoutSeconds;
    log("watching " + watchPath);

    List<Stream> held = open(watchPath, watches, rate);
    report("hold", held, t0);

    List<Stream> burstStreams = List.of();
    if (burst > 0) {
      waitFor(burstWhen);
      burstStreams = open(watchPath, burst, 0);
      report("burst", burstStreams, System.nanoTime());
    }

    waitFor(exitWhen);
    closing = true;
    int open = 0;
    for (Conn c : conns) {
      open += c.reserved.get();
    }
    System.out.printf("{\"phase\":\"end\",\"stillOpen\":%d,\"endedWhileHeld\":%d,\"rewatched\":%d,"
            + "\"connections\":%d,\"errors\":%s}%n",
        open, endedWhileHeld.get(), rewatched.get(), conns.size(), json(errors));
    System.out.flush();
    CountDownLatch cancelled = new CountDownLatch(conns.size());
    for (Conn c : conns) {
      c.channel.eventLoop().execute(() -> {
        c.handler.cancelAll();
        cancelled.countDown();
      });
    }
    cancelled.await(10, TimeUnit.SECONDS);
    Thread.sleep(500); // let the resets leave before the connections close
  }

  /** Opens n watches round robin, paced at `perSecond` (0: all at once), and waits for their answers. */
  static List<Stream> open(String watchPath, int n, int perSecond) throws Exception {
    List<Stream> streams = new ArrayList<>(n);
    CountDownLatch answered = new CountDownLatch(n);
    // Group the streams by connection and hand each connection its batch in one task, so that a
    // burst is written with one flush per connection instead of one per stream (as a client that
    // starts many informers at once would).
    int batch = perSecond > 0 ? Math.max(1, perSecond / 20) : n;
    long start = System.nanoTime();
    for (int done = 0; done < n; done += batch) {
      Map<Conn, List<Stream>> byConn = new HashMap<>();
      for (int i = done; i < Math.min(n, done + batch); i++) {
        Stream s = new Stream(watchPath, answered);
        streams.add(s);
        byConn.computeIfAbsent(pick(), c -> new ArrayList<>()).add(s);
      }
      byConn.forEach((c, l) -> c.channel.eventLoop().execute(() -> c.handler.send(l)));
      if (perSecond > 0) {
        long due = start + (long) (done + batch) * 1_000_000_000L / perSecond;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
    }
    if (!answered.await(answerWaitMillis, TimeUnit.MILLISECONDS)) {
      log("some watches got no response HEADERS within " + answerWaitMillis / 1000 + " s");
    }
    return streams;
  }

  /** The next connection with a free stream slot, round robin; a new one when all are full. */
  static Conn pick() throws Exception {
    for (int i = 0; i < conns.size(); i++) {
      Conn c = conns.get((nextConn + i) % conns.size());
      if (c.reserve()) {
        nextConn = (nextConn + i + 1) % conns.size();
        return c;
      }
    }
    Conn c = connect().get(60, TimeUnit.SECONDS);
    conns.add(c);
    extraConnections.incrementAndGet();
    c.reserve();
    return c;
  }

  /** A plain LIST of the collection; returns its resourceVersion. */
  static String list() throws Exception {
    Stream s = new Stream(path, new CountDownLatch(1));
    s.body = new ByteArrayOutputStream();
    Conn c = pick();
    c.channel.eventLoop().execute(() -> c.handler.send(List.of(s)));
    String body = s.bodyDone.get(30, TimeUnit.SECONDS);
    if (s.status != 200) {
      throw new IllegalStateException("LIST " + path + " answered " + s.status + ": " + body);
    }
    Matcher m = Pattern.compile("\"resourceVersion\"\\s*:\\s*\"(\\d+)\"").matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no resourceVersion in the LIST answer: " + body);
    }
    return m.group(1);
  }

  static void report(String phase, List<Stream> streams, long t0) {
    long[] ttfb = streams.stream().filter(s -> s.status == 200).mapToLong(s -> s.headersNanos - s.sentNanos)
        .sorted().toArray();
    Map<String, Integer> statuses = new TreeMap<>();
    Map<String, Integer> backends = new TreeMap<>();
    for (Stream s : streams) {
      statuses.merge(s.status == 0 ? "none" : Integer.toString(s.status), 1, Integer::sum);
      if (s.backend != null) {
        backends.merge(s.backend, 1, Integer::sum);
      }
    }
    System.out.printf("{\"phase\":\"%s\",\"watches\":%d,\"opened\":%d,\"failed\":%d,\"statuses\":%s,"
            + "\"backends\":%s,\"connections\":%d,\"extraConnections\":%d,"
            + "\"ttfb_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s},\"seconds\":%.1f,\"errors\":%s}%n",
        phase, streams.size(), ttfb.length, streams.size() - ttfb.length, json(statuses), json(backends),
        conns.size(), extraConnections.get(), pct(ttfb, 0.50), pct(ttfb, 0.99), pct(ttfb, 1.0),
        (System.nanoTime() - t0) / 1e9, json(errors));
    System.out.flush();
  }

  /** Nearest-rank percentile in ms, "null" when nothing was measured. */
  static String pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return "null";
    }
    int i = (int) Math.ceil(sorted.length * p) - 1;
    return String.format("%.2f", sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6);
  }

  // ---- connections ------------------------------------------------------------------------------

  static CompletableFuture<Conn> connect() {
    CompletableFuture<Conn> ready = new CompletableFuture<>();
    String host = url.getHost();
    int port = url.getPort();
    new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            SslHandler tls = ssl.newHandler(ch.alloc(), host, port);
            SSLEngine engine = tls.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // check the proxy's certificate names 127.0.0.1
            engine.setSSLParameters(p);
            Handler h = new Handler(ready);
            // A large receive window: watches are mostly idle, but an event burst should not stall
            // on WINDOW_UPDATEs. The client itself accepts no pushed streams.
            Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(1 << 20).pushEnabled(false))
                .build();
            ch.pipeline().addLast(tls, codec, h);
            tls.handshakeFuture().addListener(f -> {
              if (!f.isSuccess()) {
                ready.completeExceptionally(f.cause());
              } else if (!ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol())) {
                ready.completeExceptionally(new IllegalStateException("ALPN did not select h2: " + tls.applicationProtocol()));
                ch.close();
              }
            });
          }
        })
        .connect(host, port).addListener(f -> {
          if (!f.isSuccess()) {
            ready.completeExceptionally(f.cause());
          }
        });
    return ready;
  }

  /** One client connection: its channel, handler and the peer's stream limit. */
  static final class Conn {
    final Channel channel;
    final Handler handler;
    final long maxStreams;
    final AtomicInteger reserved = new AtomicInteger(); // streams opened or about to be, not yet closed

    Conn(Channel channel, Handler handler, long maxStreams) {
      this.channel = channel;
      this.handler = handler;
      this.maxStreams = maxStreams;
    }

    boolean reserve() {
      if (!channel.isActive() || handler.goAway) {
        return false;
      }
      while (true) {
        int n = reserved.get();
        if (n >= maxStreams) {
          return false;
        }
        if (reserved.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }
  }

  /** One watch (or the LIST): timings and outcome, written by its connection's event loop. */
  static final class Stream {
    final String target;
    final CountDownLatch answered;
    volatile long sentNanos;
    volatile long headersNanos;
    volatile long endedNanos;
    volatile int status;
    volatile String backend;
    ByteArrayOutputStream body; // only for the LIST
    final CompletableFuture<String> bodyDone = new CompletableFuture<>();
    Conn conn;

    Stream(String target, CountDownLatch answered) {
      this.target = target;
      this.answered = answered;
    }
  }

  /** Per connection: writes HEADERS for new streams and records what comes back. Event loop only. */
  static final class Handler extends Http2ChannelDuplexHandler {
    final CompletableFuture<Conn> ready;
    final Map<Http2FrameStream, Stream> streams = new HashMap<>();
    ChannelHandlerContext ctx;
    Conn conn;
    volatile boolean goAway;

    Handler(CompletableFuture<Conn> ready) {
      this.ready = ready;
    }

    void send(List<Stream> batch) {
      for (Stream s : batch) {
        s.conn = conn;
        if (!ctx.channel().isActive()) {
          fail(s, "connection closed before sending");
          continue;
        }
        Http2Headers h = new DefaultHttp2Headers().method("GET").scheme("https")
            .authority(url.getHost() + ":" + url.getPort()).path(s.target)
            .add("accept", "application/json").add("user-agent", "apilb-bench-watchload");
        if (token != null) {
          h.add("authorization", "Bearer " + token);
        }
        Http2FrameStream fs = newStream();
        streams.put(fs, s);
        s.sentNanos = System.nanoTime();
        ctx.write(new DefaultHttp2HeadersFrame(h, true).stream(fs)).addListener(f -> {
          if (!f.isSuccess()) {
            streams.remove(fs);
            fail(s, "write: " + f.cause());
          }
        });
      }
      ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2SettingsFrame settings && conn == null) {
          this.ctx = ctx;
          Long max = settings.settings().maxConcurrentStreams();
          conn = new Conn(ctx.channel(), this, max == null ? Integer.MAX_VALUE : max);
          ready.complete(conn);
        } else if (msg instanceof Http2HeadersFrame hf) {
          Stream s = streams.get(hf.stream());
          if (s != null && s.status == 0) {
            s.headersNanos = System.nanoTime();
            CharSequence st = hf.headers().status();
            s.status = st == null ? -1 : Integer.parseInt(st.toString());
            CharSequence be = hf.headers().get("x-sim-backend");
            s.backend = be == null ? null : be.toString();
            if (s.status != 200) {
              count("http " + s.status);
            }
            if (s.body == null) {
              s.answered.countDown();
            }
          }
          if (hf.isEndStream()) {
            ended(hf.stream());
          }
        } else if (msg instanceof Http2DataFrame df) {
          Stream s = streams.get(df.stream());
          if (s != null && s.body != null) {
            ByteBuf c = df.content();
            byte[] bytes = new byte[c.readableBytes()];
            c.getBytes(c.readerIndex(), bytes);
            s.body.writeBytes(bytes);
          }
          // Give the flow-control credit back, or the peer stops sending after the window.
          if (df.initialFlowControlledBytes() > 0) {
            ctx.write(new DefaultHttp2WindowUpdateFrame(df.initialFlowControlledBytes()).stream(df.stream()));
            ctx.flush();
          }
          if (df.isEndStream()) {
            ended(df.stream());
          }
        } else if (msg instanceof Http2ResetFrame rf) {
          Stream s = streams.remove(rf.stream());
          if (s != null) {
            count("reset " + rf.errorCode());
            finish(s);
          }
        } else if (msg instanceof Http2GoAwayFrame ga) {
          goAway = true; // no new streams here; the open ones may still finish
          count("goaway " + ga.errorCode());
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    /** RST_STREAM(CANCEL) for every open stream of this connection. */
    void cancelAll() {
      if (ctx == null || !ctx.channel().isActive()) {
        return;
      }
      for (Http2FrameStream fs : streams.keySet()) {
        ctx.write(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(fs));
      }
      streams.clear();
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      // A stream closed without a frame we saw (e.g. above the last stream id of a GOAWAY).
      if (evt instanceof Http2FrameStreamEvent e && e.type() == Http2FrameStreamEvent.Type.State
          && e.stream().state() == Http2Stream.State.CLOSED && streams.containsKey(e.stream())) {
        count("closed without a frame");
        ended(e.stream());
      }
      super.userEventTriggered(ctx, evt);
    }

    private void ended(Http2FrameStream fs) {
      Stream s = streams.remove(fs);
      if (s != null) {
        if (s.body != null) {
          s.bodyDone.complete(s.body.toString(StandardCharsets.UTF_8));
        }
        finish(s);
        if (s.body == null && s.status == 200 && !closing && !goAway && conn.channel.isActive()) {
          // ended cleanly while held: watch again from the same resourceVersion, same connection
          rewatched.incrementAndGet();
          conn.reserved.incrementAndGet();
          send(List.of(new Stream(s.target, new CountDownLatch(1))));
        }
      }
    }

    /** The stream is over: count it out of its connection, note if a watch ended before it answered. */
    private void finish(Stream s) {
      s.endedNanos = System.nanoTime();
      if (s.status == 200 && s.body == null && !closing) {
        endedWhileHeld.incrementAndGet();
      }
      if (s.status == 0) {
        s.answered.countDown();
      }
      s.bodyDone.complete("");
      conn.reserved.decrementAndGet();
    }

    private void fail(Stream s, String why) {
      count(why);
      s.endedNanos = System.nanoTime();
      s.answered.countDown();
      s.bodyDone.complete("");
      if (s.conn != null) {
        s.conn.reserved.decrementAndGet();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      if (!streams.isEmpty()) {
        count("connection closed");
      }
      for (Stream s : new ArrayList<>(streams.values())) {
        finish(s);
      }
      streams.clear();
      ready.completeExceptionally(new IllegalStateException("connection closed before SETTINGS"));
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      count("exception " + cause.getClass().getSimpleName());
      ready.completeExceptionally(cause);
      ctx.close();
    }
  }

  // ---- small helpers ------------------------------------------------------------------------------

  static void count(String what) {
    errors.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  static void waitFor(Path file) throws InterruptedException {
    if (file == null) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  static String json(Map<String, ?> m) {
    StringBuilder sb = new StringBuilder("{");
    m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k.replace("\"", "'"))
        .append("\":").append(v));
    return sb.append('}').toString();
  }

  static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  static void log(String msg) {
    System.err.println("[watchload] " + msg);
  }

  static void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      i++;
      switch (a) {
        case "--url" -> url = URI.create(v);
        case "--path" -> path = v;
        case "--ca" -> ca = new File(v);
        case "--cert" -> cert = new File(v);
        case "--key" -> key = new File(v);
        case "--token" -> token = v;
        case "--connections" -> connections = Integer.parseInt(v);
        case "--watches" -> watches = Integer.parseInt(v);
        case "--burst" -> burst = Integer.parseInt(v);
        case "--rate" -> rate = Integer.parseInt(v);
        case "--timeout-seconds" -> timeoutSeconds = Integer.parseInt(v);
        case "--answer-wait" -> answerWaitMillis = Long.parseLong(v) * 1000;
        case "--burst-when" -> burstWhen = Path.of(v);
        case "--exit-when" -> exitWhen = Path.of(v);
        default -> throw new IllegalArgumentException("unknown option " + a + " (see the comment at the top)");
      }
    }
    if (url == null || ca == null || (cert == null) != (key == null)) {
      throw new IllegalArgumentException("--url and --ca are required; --cert and --key go together");
    }
    if (Arrays.asList(url.getScheme(), url.getHost()).contains(null) || url.getPort() < 0) {
      throw new IllegalArgumentException("--url must be https://HOST:PORT");
    }
  }
}
