// Failover load generator for bench/failover.sh: JDK only (java.net.http), run as a single-file
// source program: java bench/failover/FailoverLoad.java --url ... (see bench/failover/README.md).
//
// Steady GETs over N HTTP/2 client connections (one HttpClient each, so one h2 connection each)
// plus long-running watches multiplexed on the same clients; drives the fault timeline through the
// simulated apiservers' control port and reports failures per phase, broken connections, and the
// spread of requests and watches over the backends (X-Sim-Backend response header).

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

public final class FailoverLoad {
  static final String GET_PATH = "/api/v1/namespaces/default/configmaps/bench";
  static final String WATCH_PATH = "/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true";
  static final Pattern RV = Pattern.compile("\"resourceVersion\":\"(\\d+)\"");
  /** Connection-level errors on one client closer together than this count as one broken connection. */
  static final long BREAK_BURST_MS = 1000;

  // ---- options ---------------------------------------------------------------------------------
  final Map<String, String> opt = new LinkedHashMap<>();
  String proxy;
  URI base;
  URI control;
  int rate;
  int clientCount;
  int watchCount;
  Duration reqTimeout;
  List<String> backends;
  String killed;
  String graceful;

  // ---- state -----------------------------------------------------------------------------------
  final List<HttpClient> clients = new ArrayList<>();
  final List<AtomicInteger> handshakes = new ArrayList<>();
  final ExecutorService httpExecutor = Executors.newFixedThreadPool(4, daemon("http"));
  final ScheduledExecutorService sched = Executors.newScheduledThreadPool(1, daemon("sched"));
  final List<String> phaseNames = new ArrayList<>();
  final List<Long> phaseStarts = new ArrayList<>();
  volatile int phase = -1; // -1: warm-up, not counted
  long t0;
  final ConcurrentLinkedQueue<Req> reqs = new ConcurrentLinkedQueue<>();
  final AtomicLong inFlight = new AtomicLong();
  final List<Watch> watches = new ArrayList<>();
  final ConcurrentLinkedQueue<long[]> connErrors = new ConcurrentLinkedQueue<>(); // {client, ms}
  final Map<String, AtomicInteger> watchEndKinds = new ConcurrentHashMap<>();
  final AtomicInteger watchCleanEnds = new AtomicInteger();
  final AtomicInteger watchStarts = new AtomicInteger();
  final AtomicLong watchEvents = new AtomicLong();
  final List<String> timeline = new ArrayList<>();
  volatile boolean stopping;

  record Req(int phase, int client, long startMs, String outcome, String backend) {}

  public static void main(String[] args) throws Exception {
    FailoverLoad l = new FailoverLoad();
    l.parse(args);
    l.run();
    System.exit(0);
  }

  void parse(String[] args) {
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --key value pairs, got " + args[i]);
      }
      opt.put(args[i].substring(2), args[i + 1]);
    }
    proxy = opt.getOrDefault("proxy", "proxy");
    base = URI.create(req("url"));
    control = URI.create(req("control"));
    rate = Integer.parseInt(opt.getOrDefault("rate", "300"));
    clientCount = Integer.parseInt(opt.getOrDefault("clients", "6"));
    watchCount = Integer.parseInt(opt.getOrDefault("watches", "30"));
    reqTimeout = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("request-timeout", "5")));
    backends = List.of(opt.getOrDefault("backends", "cp1,cp2,cp3").split(","));
    killed = opt.getOrDefault("kill", "cp1");
    graceful = opt.getOrDefault("graceful", "cp2");
  }

  String req(String k) {
    String v = opt.get(k);
    if (v == null) {
      throw new IllegalArgumentException("--" + k + " is required");
    }
    return v;
  }

  long secs(String k, long def) {
    return Long.parseLong(opt.getOrDefault(k, Long.toString(def)));
  }

  // ---- main flow -------------------------------------------------------------------------------

  void run() throws Exception {
    X509Certificate ca = readCa(Path.of(req("ca")));
    for (int i = 0; i < clientCount; i++) {
      AtomicInteger hs = new AtomicInteger();
      handshakes.add(hs);
      gates.add(new Gate());
      clients.add(HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_2)
          .sslContext(sslContext(ca, hs))
          .connectTimeout(Duration.ofSeconds(5))
          .executor(httpExecutor)
          .build());
    }
    // One request per client first, so that each opens exactly one h2 connection.
    for (int i = 0; i < clientCount; i++) {
      HttpResponse<Void> r = clients.get(i).send(get(), HttpResponse.BodyHandlers.discarding());
      if (r.version() != HttpClient.Version.HTTP_2) {
        throw new IllegalStateException("client " + i + " negotiated " + r.version() + ", not HTTP/2");
      }
    }
    for (int i = 0; i < watchCount; i++) {
      Watch w = new Watch(i, i % clientCount);
      watches.add(w);
      Thread t = new Thread(w, "watch-" + i);
      t.setDaemon(true);
      t.start();
    }
    // GETs at a steady rate, round-robin over the clients.
    long periodNs = 1_000_000_000L / rate;
    AtomicLong seq = new AtomicLong();
    sched.scheduleAtFixedRate(() -> {
      if (!stopping) {
        send((int) (seq.getAndIncrement() % clientCount));
      }
    }, 0, periodNs, TimeUnit.NANOSECONDS);
    sleep(Duration.ofSeconds(secs("warmup", 3)));

    t0 = System.currentTimeMillis();
    int initialHandshakes = totalHandshakes();
    phase("steady", null);
    sleep(Duration.ofSeconds(secs("steady", 20)));
    phase(killed + " killed", () -> control("/kill?name=" + killed));
    sleep(Duration.ofSeconds(secs("after-kill", 20)));
    phase(killed + " back", () -> control("/start?name=" + killed));
    sleep(Duration.ofSeconds(secs("gap", 10)));
    phase(graceful + " graceful restart", null);
    control("/restart-graceful?name=" + graceful + "&delay=" + secs("graceful-delay", 5)
        + "&down=" + secs("graceful-down", 2));
    control("/reset");
    long measure = secs("measure", 60);
    phase("final " + measure + " s", null);
    sleep(Duration.ofSeconds(measure));
    String simStats = control("/stats");
    Map<String, Integer> watchesAtEnd = new TreeMap<>();
    int watchesDown = 0;
    for (Watch w : watches) {
      String b = w.currentBackend;
      if (b == null) {
        watchesDown++;
      } else {
        watchesAtEnd.merge(b, 1, Integer::sum);
      }
    }
    stopping = true;
    long deadline = System.currentTimeMillis() + reqTimeout.toMillis() + 1000;
    while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
      sleep(Duration.ofMillis(50));
    }
    report(initialHandshakes, watchesAtEnd, watchesDown, simStats);
  }

  interface Action {
    String run() throws Exception;
  }

  void phase(String name, Action action) throws Exception {
    long at = System.currentTimeMillis() - t0;
    phaseNames.add(name);
    phaseStarts.add(at);
    phase = phaseNames.size() - 1;
    String line = String.format("t=%5.1fs  %s", at / 1000.0, name);
    timeline.add(line);
    System.err.println("[failover-load] " + proxy + ": " + line);
    if (action != null) {
      action.run();
    }
  }

  String control(String pathAndQuery) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(control.resolve(pathAndQuery))
        .method(pathAndQuery.startsWith("/stats") ? "GET" : "POST", HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(60)).build();
    HttpResponse<String> res = HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() != 200) {
      throw new IllegalStateException("control " + pathAndQuery + ": " + res.statusCode() + " " + res.body());
    }
    return res.body().trim();
  }

  // ---- GETs ------------------------------------------------------------------------------------

  HttpRequest get() {
    return HttpRequest.newBuilder(base.resolve(GET_PATH)).timeout(reqTimeout).GET().build();
  }

  /**
   * One connection attempt at a time per client, like Go's HTTP/2 transport (client-go) that
   * dials once and lets concurrent requests wait for that dial: the JDK client would open one
   * connection per concurrent request while none is established, and keep the extras. After a
   * connection-level error or a watch ending (maybe GOAWAY), the gate closes; the next GET is sent
   * alone as a probe, and the requests meanwhile wait for it and share its failure if it fails.
   */
  final class Gate {
    private CompletableFuture<Void> open = CompletableFuture.completedFuture(null);
    private boolean probing;

    synchronized void suspect() {
      if (open.isDone()) {
        open = new CompletableFuture<>();
        probing = false;
      }
    }

    /** null: send now; PROBE: send as the probe; otherwise wait for the future. */
    synchronized CompletableFuture<Void> enter() {
      if (open.isDone()) {
        return null;
      }
      if (!probing) {
        probing = true;
        return PROBE;
      }
      return open;
    }

    synchronized void probed(Throwable failure) {
      CompletableFuture<Void> f = open;
      if (failure == null) {
        f.complete(null);
      } else {
        open = new CompletableFuture<>();
        probing = false;
        f.completeExceptionally(failure);
      }
    }

    /** Blocks until the client has a connection (or the probe failed: throws). */
    void await() throws Exception {
      CompletableFuture<Void> f;
      synchronized (this) {
        f = open;
      }
      f.get();
    }
  }

  static final CompletableFuture<Void> PROBE = new CompletableFuture<>();
  final List<Gate> gates = new ArrayList<>();

  void send(int client) {
    int ph = phase;
    long start = System.currentTimeMillis();
    inFlight.incrementAndGet();
    Gate g = gates.get(client);
    CompletableFuture<Void> wait = g.enter();
    if (wait == null) {
      sendNow(client, ph, start, null);
    } else if (wait == PROBE) {
      sendNow(client, ph, start, g);
    } else {
      wait.whenComplete((v, err) -> {
        if (err == null) {
          sendNow(client, ph, start, null);
        } else {
          done(client, ph, start, null, err);
        }
      });
    }
  }

  void sendNow(int client, int ph, long start, Gate probeOf) {
    clients.get(client).sendAsync(get(), HttpResponse.BodyHandlers.discarding()).whenComplete((res, err) -> {
      if (probeOf != null) {
        probeOf.probed(err);
      }
      done(client, ph, start, res, err);
    });
  }

  void done(int client, int ph, long start, HttpResponse<Void> res, Throwable err) {
    inFlight.decrementAndGet();
    String outcome;
    String backend = null;
    if (err != null) {
      outcome = kind(err);
      if (isConnectionError(outcome)) {
        gates.get(client).suspect();
        if (ph >= 0) {
          connErrors.add(new long[] {client, System.currentTimeMillis()});
        }
      }
    } else {
      outcome = res.statusCode() / 100 == 2 ? "ok" : "http " + res.statusCode();
      backend = res.headers().firstValue("x-sim-backend").orElse("?");
    }
    if (ph >= 0) {
      reqs.add(new Req(ph, client, start - t0, outcome, backend));
    }
  }

  /** One raw exception per kind, for the log (the kinds are guesses from the JDK's messages). */
  static final Map<String, String> EXAMPLES = new ConcurrentHashMap<>();

  static String kind(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    String k = classify(t);
    EXAMPLES.putIfAbsent(k, t.toString() + (t.getCause() == null ? "" : " <- " + t.getCause()));
    return k;
  }

  static String classify(Throwable t) {
    if (t instanceof HttpConnectTimeoutException) {
      return "connect timeout";
    }
    if (t instanceof HttpTimeoutException) {
      return "timeout";
    }
    if (t instanceof ConnectException) {
      return "connect refused";
    }
    StringBuilder chain = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      chain.append(c.getMessage()).append(" | ");
    }
    if (chain.toString().contains("RST_STREAM")) {
      return "stream reset"; // the stream failed, the connection is fine
    }
    String m = String.valueOf(t.getMessage()).toLowerCase();
    if (m.contains("broken pipe")) {
      return "connection closed";
    }
    if (m.contains("goaway")) {
      return "GOAWAY";
    }
    if (m.contains("reset")) {
      return "connection reset";
    }
    if (m.contains("eof") || m.contains("closed") || m.contains("shutdown")) {
      return "connection closed";
    }
    String s = t.getClass().getSimpleName() + ": " + t.getMessage();
    return s.length() > 60 ? s.substring(0, 60) : s;
  }

  static boolean isConnectionError(String kind) {
    return kind.equals("GOAWAY") || kind.equals("connection reset") || kind.equals("connection closed")
        || kind.startsWith("connect ");
  }

  // ---- watches ---------------------------------------------------------------------------------

  final class Watch implements Runnable {
    final int id;
    final int client;
    volatile String currentBackend;
    String rv;

    Watch(int id, int client) {
      this.id = id;
      this.client = client;
    }

    @Override
    public void run() {
      while (!stopping) {
        long backoff = 0;
        int timeoutSeconds = ThreadLocalRandom.current().nextInt(300, 600); // like client-go: 5-10 min
        String uri = WATCH_PATH + "&timeoutSeconds=" + timeoutSeconds + (rv == null ? "" : "&resourceVersion=" + rv);
        HttpRequest r = HttpRequest.newBuilder(base.resolve(uri)).GET().build();
        try {
          gates.get(client).await();
          HttpResponse<Stream<String>> res = clients.get(client).send(r, HttpResponse.BodyHandlers.ofLines());
          if (res.statusCode() != 200) {
            res.body().close();
            count("watch http " + res.statusCode());
            backoff = 1000;
          } else {
            currentBackend = res.headers().firstValue("x-sim-backend").orElse("?");
            if (phase >= 0) {
              watchStarts.incrementAndGet();
            }
            try (Stream<String> lines = res.body()) {
              Iterator<String> it = lines.iterator();
              while (it.hasNext()) {
                String line = it.next();
                watchEvents.incrementAndGet();
                if (line.startsWith("{\"type\":\"ERROR\"")) {
                  rv = null; // e.g. 410 Gone: start over from the current state
                  continue;
                }
                Matcher m = RV.matcher(line);
                if (m.find() && (rv == null || Long.parseLong(m.group(1)) > Long.parseLong(rv))) {
                  rv = m.group(1);
                }
              }
            }
            currentBackend = null;
            gates.get(client).suspect(); // maybe the server is going away (GOAWAY)
            if (phase >= 0 && !stopping) {
              watchCleanEnds.incrementAndGet();
            }
          }
        } catch (Exception e) {
          currentBackend = null;
          Throwable cause = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
          String k = kind(cause);
          count("watch " + k);
          if (isConnectionError(k)) {
            gates.get(client).suspect();
            if (phase >= 0) {
              connErrors.add(new long[] {client, System.currentTimeMillis()});
            }
          }
          backoff = 1000; // client-go's reflector backs off about a second after an error
        }
        if (backoff > 0) {
          sleep(Duration.ofMillis(backoff));
        }
      }
    }

    void count(String k) {
      if (phase >= 0 && !stopping) {
        watchEndKinds.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  // ---- report ----------------------------------------------------------------------------------

  void report(int initialHandshakes, Map<String, Integer> watchesAtEnd, int watchesDown, String simStats)
      throws IOException {
    int phases = phaseNames.size();
    int last = phases - 1;
    long[] sent = new long[phases];
    long[] failed = new long[phases];
    List<Map<String, Integer>> failKinds = new ArrayList<>();
    List<Map<String, Integer>> spread = new ArrayList<>();
    for (int i = 0; i < phases; i++) {
      failKinds.add(new TreeMap<>());
      spread.add(new TreeMap<>());
    }
    for (Req r : reqs) {
      sent[r.phase()]++;
      if (r.outcome().equals("ok")) {
        spread.get(r.phase()).merge(r.backend(), 1, Integer::sum);
      } else {
        failed[r.phase()]++;
        failKinds.get(r.phase()).merge(r.outcome(), 1, Integer::sum);
      }
    }
    // Broken connections: bursts of connection-level errors per client.
    List<long[]> errs = new ArrayList<>(connErrors);
    errs.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    int broken = 0;
    long prevClient = -1;
    long prevMs = 0;
    for (long[] e : errs) {
      if (e[0] != prevClient || e[1] - prevMs > BREAK_BURST_MS) {
        broken++;
      }
      prevClient = e[0];
      prevMs = e[1];
    }
    int newConnections = totalHandshakes() - initialHandshakes;
    int watchErrors = watchEndKinds.values().stream().mapToInt(AtomicInteger::get).sum();
    long totalFailed = 0;
    for (long f : failed) {
      totalFailed += f;
    }

    StringBuilder md = new StringBuilder();
    md.append("#### ").append(proxy).append("\n\n");
    md.append("| phase | starts at | requests | failed | failures by kind | served by (").append(String.join(" / ", backends))
        .append(") |\n|---|---:|---:|---:|---|---|\n");
    for (int i = 0; i < phases; i++) {
      md.append("| ").append(phaseNames.get(i)).append(" | ").append(String.format("%.1f s", phaseStarts.get(i) / 1000.0))
          .append(" | ").append(sent[i]).append(" | ").append(failed[i]).append(" | ")
          .append(failKinds.get(i).isEmpty() ? "" : failKinds.get(i).toString().replaceAll("[{}]", ""))
          .append(" | ").append(shares(spread.get(i))).append(" |\n");
    }
    md.append("\n");
    md.append("- failed requests: **").append(totalFailed).append("** of ").append(reqs.size()).append('\n');
    md.append("- broken client connections (bursts of connection-level errors per client): **").append(broken)
        .append("**; new TLS connections opened by the clients during the run: ").append(newConnections).append('\n');
    md.append("- watches: ").append(watchStarts.get()).append(" (re)started, ").append(watchCleanEnds.get())
        .append(" ended cleanly, ").append(watchErrors).append(" ended with an error")
        .append(watchEndKinds.isEmpty() ? "" : " " + new TreeMap<>(watchEndKinds).toString().replaceAll("[{}]", ""))
        .append("; ").append(watchEvents.get()).append(" events received\n");
    md.append("- requests in the last ").append(secs("measure", 60)).append(" s (after the last restart): ")
        .append(shares(spread.get(last))).append('\n');
    md.append("- watches per backend at the end: ").append(counts(watchesAtEnd))
        .append(watchesDown > 0 ? " (" + watchesDown + " not connected)" : "").append('\n');
    md.append("- simulated apiservers' own counters at the end (API requests since the last restart, open watches, open connections): `")
        .append(simStats).append("`\n\n");
    md.append("Timeline: ").append(String.join("; ", timeline)).append(".\n\n");
    System.out.print(md);
    EXAMPLES.forEach((k, v) -> System.err.println("[failover-load] " + proxy + ": kind '" + k + "' e.g. " + v));
    if (opt.containsKey("md")) {
      Files.writeString(Path.of(opt.get("md")), md, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    if (opt.containsKey("summary")) {
      StringBuilder byPhase = new StringBuilder();
      for (int i = 0; i < phases; i++) {
        byPhase.append(i == 0 ? "" : " / ").append(failed[i]);
      }
      String row = String.join("\t", proxy, Long.toString(totalFailed), byPhase.toString(),
          Integer.toString(broken), Integer.toString(newConnections), Integer.toString(watchErrors),
          shares(spread.get(last)), counts(watchesAtEnd)) + "\n";
      Files.writeString(Path.of(opt.get("summary")), row, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  String shares(Map<String, Integer> m) {
    long total = m.values().stream().mapToLong(Integer::longValue).sum();
    List<String> parts = new ArrayList<>();
    for (String b : backends) {
      int n = m.getOrDefault(b, 0);
      parts.add(total == 0 ? "0" : String.format("%d%%", Math.round(100.0 * n / total)));
    }
    return String.join(" / ", parts);
  }

  String counts(Map<String, Integer> m) {
    List<String> parts = new ArrayList<>();
    for (String b : backends) {
      parts.add(Integer.toString(m.getOrDefault(b, 0)));
    }
    return String.join(" / ", parts);
  }

  int totalHandshakes() {
    return handshakes.stream().mapToInt(AtomicInteger::get).sum();
  }

  // ---- TLS -------------------------------------------------------------------------------------

  static X509Certificate readCa(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /**
   * A context trusting {@code ca} that counts full handshakes (= new TLS connections) and keeps
   * sessions from being resumed, so that every new connection is counted.
   */
  static SSLContext sslContext(X509Certificate ca, AtomicInteger handshakes) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    X509ExtendedTrustManager inner = null;
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        inner = x;
      }
    }
    X509ExtendedTrustManager delegate = inner;
    X509ExtendedTrustManager counting = new X509ExtendedTrustManager() {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
        handshakes.incrementAndGet();
        SSLSession s = engine.getHandshakeSession();
        if (s != null) {
          s.invalidate();
        }
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
        handshakes.incrementAndGet();
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
        handshakes.incrementAndGet();
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        throw new CertificateException("client side only");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        throw new CertificateException("client side only");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("client side only");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {counting}, null);
    // Sessions expire after 1 s: a reconnect is a full handshake, counted above.
    ctx.getClientSessionContext().setSessionTimeout(1);
    return ctx;
  }

  // ---- misc ------------------------------------------------------------------------------------

  static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
