package io.apilb.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.apilb.sim.FrontProxyAuth;
import io.apilb.sim.RecordedRequest;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.SimulatedApiserverBuilder;
import io.apilb.sim.SimulatedCluster;
import io.apilb.tls.PemFiles;
import io.apilb.tls.TlsContexts.KeyMaterial;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code apilb sim}: simulated kube-apiservers (one process, one shared in-memory cluster, so
 * resourceVersions and watch replay are consistent across them) plus a plain-HTTP control port on
 * loopback for fault injection, used by {@code bench/failover.sh}.
 *
 * <p>Control endpoints (all answer once the action is complete):
 * <ul>
 *   <li>{@code POST /kill?name=cp1}: {@code stopAbruptly()} (listener closed, connections reset);
 *   <li>{@code POST /start?name=cp1}: listen again on the same port;
 *   <li>{@code POST /restart-graceful?name=cp2&delay=5&down=2}: readyz {@code [-]shutdown} for
 *       {@code delay} s while still serving (like {@code --shutdown-delay-duration}), then a graceful
 *       stop (listener closed, GOAWAY on HTTP/2, watches ended cleanly, in-flight requests finish),
 *       {@code down} s without a listener, then start again;
 *   <li>{@code GET /stats}: per apiserver {@code listening}, {@code connections}, {@code watches},
 *       {@code apiRequests} (non-health requests since the last {@code POST /reset}) and, with
 *       authentication on, {@code auth}: those API requests by how they were authenticated
 *       ({@code unauthorized} for the ones answered 401);
 *   <li>{@code POST /reset}: forget recorded requests.
 * </ul>
 *
 * <p>Without {@code --client-ca-file} and {@code --requestheader-client-ca-file} the apiservers do
 * not authenticate (any {@code Authorization} or {@code X-Remote-User} header is taken as a
 * credential). With either, they authenticate every request as kube-apiserver set up by kubeadm
 * does (see {@link FrontProxyAuth}): request-header identity only over a connection whose client
 * certificate chains to the request-header CA with CN {@code front-proxy-client}, x509 client
 * certificates of the client CA, bearer tokens (every token is accepted), otherwise anonymous.
 */
@Command(name = "sim", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Run simulated kube-apiservers with a loopback control port (benchmarks).")
final class SimCommand implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--backend", required = true, paramLabel = "NAME=PORT",
      description = "a simulated apiserver on 127.0.0.1:PORT (repeat)")
  Map<String, Integer> backends = new LinkedHashMap<>();

  @Option(names = "--cert", required = true, paramLabel = "FILE", description = "serving certificate (PEM)")
  Path cert;

  @Option(names = "--key", required = true, paramLabel = "FILE", description = "serving key (PEM)")
  Path key;

  @Option(names = "--control-port", required = true, description = "plain-HTTP control port on 127.0.0.1")
  int controlPort;

  @Option(names = "--http2", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "offer ALPN h2 like a real kube-apiserver (default: ${DEFAULT-VALUE})")
  boolean http2;

  @Option(names = "--tick", defaultValue = "1s", description = "recreate ConfigMap default/ticker this often, for watch events (default: ${DEFAULT-VALUE})")
  String tick;

  @Option(names = "--client-ca-file", paramLabel = "FILE",
      description = "authenticate: x509 client certificates chaining to this CA (kube-apiserver's flag)")
  Path clientCaFile;

  @Option(names = "--requestheader-client-ca-file", paramLabel = "FILE",
      description = "authenticate: X-Remote-User/-Group/-Extra- headers over connections whose client certificate "
          + "chains to this CA and has CN front-proxy-client (kube-apiserver's flag, kubeadm's allowed name)")
  Path requestHeaderCaFile;

  private final Map<String, SimulatedApiserver> sims = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    KeyMaterial km = KeyMaterial.load(cert, key);
    SimulatedCluster cluster = new SimulatedCluster();
    cluster.createConfigMap("default", "bench", Map.of("payload", "x".repeat(200)));
    cluster.createConfigMap("default", "ticker", Map.of("n", "0"));
    FrontProxyAuth auth = authentication();
    for (Map.Entry<String, Integer> b : backends.entrySet()) {
      SimulatedApiserverBuilder sb = SimulatedApiserver.builder(b.getKey(), cluster).keyMaterial(km)
          .port(b.getValue()).http2(http2);
      if (auth != null) {
        sb.authentication(auth);
      }
      sims.put(b.getKey(), sb.build().start());
    }
    long tickMs = Duration.parse("PT" + tick.toUpperCase()).toMillis();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long[] n = {0};
    ticker.scheduleAtFixedRate(() -> {
      n[0]++;
      cluster.deleteConfigMap("default", "ticker");
      cluster.createConfigMap("default", "ticker", Map.of("n", Long.toString(n[0])));
    }, tickMs, tickMs, TimeUnit.MILLISECONDS);

    HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", controlPort), 16);
    control.setExecutor(Executors.newCachedThreadPool());
    control.createContext("/", this::handle);
    control.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      control.stop(0);
      ticker.shutdownNow();
      sims.values().forEach(SimulatedApiserver::close);
      stopped.countDown();
    }, "apilb-sim-shutdown"));
    log("sim up: " + String.join(", ", sims.values().stream().map(s -> s.name() + "=" + s.url()).toList())
        + (http2 ? " (h2, http/1.1)" : " (http/1.1)") + (auth == null ? "" : ", authenticating") + "; control http://127.0.0.1:" + controlPort);
    stopped.await();
    return 0;
  }

  /** kubeadm's request-header flags with the given CAs, or null when neither is set. */
  private FrontProxyAuth authentication() throws Exception {
    if (clientCaFile == null && requestHeaderCaFile == null) {
      return null;
    }
    List<X509Certificate> clientCas =
        clientCaFile == null ? List.of() : PemFiles.readCertificates(clientCaFile);
    List<X509Certificate> requestHeaderCas =
        requestHeaderCaFile == null ? List.of() : PemFiles.readCertificates(requestHeaderCaFile);
    return new FrontProxyAuth(requestHeaderCas, Set.of("front-proxy-client"), clientCas,
        List.of("X-Remote-User"), List.of("X-Remote-Group"), List.of("X-Remote-Extra-"));
  }

  private static long parseSeconds(String s) {
    return Math.round(Double.parseDouble(s) * 1000);
  }

  private static void log(String msg) {
    System.out.println(Instant.now() + " " + msg);
    System.out.flush();
  }

  private void handle(HttpExchange ex) throws IOException {
    int code = 200;
    String body;
    try {
      URI uri = ex.getRequestURI();
      Map<String, String> q = query(uri.getRawQuery());
      String path = uri.getPath();
      SimulatedApiserver s = q.containsKey("name") ? sims.get(q.get("name")) : null;
      if (q.containsKey("name") && s == null) {
        throw new IllegalArgumentException("no apiserver named " + q.get("name"));
      }
      switch (path) {
        case "/stats" -> body = stats();
        case "/reset" -> {
          sims.values().forEach(SimulatedApiserver::clearRequests);
          body = "{}";
        }
        case "/kill" -> {
          log("kill " + s.name() + " (abrupt)");
          s.stopAbruptly();
          body = "{}";
        }
        case "/start" -> {
          s.resetFaults();
          s.start();
          log("start " + s.name());
          body = "{}";
        }
        case "/restart-graceful" -> {
          long delay = parseSeconds(q.getOrDefault("delay", "5"));
          long down = parseSeconds(q.getOrDefault("down", "2"));
          log("restart-graceful " + s.name() + ": readyz [-]shutdown for " + delay + " ms");
          s.setReady(false);
          Thread.sleep(delay);
          log("restart-graceful " + s.name() + ": stopping (listener closed, GOAWAY, drain)");
          long t0 = System.nanoTime();
          s.stop(Duration.ofSeconds(5));
          log("restart-graceful " + s.name() + ": stopped in " + (System.nanoTime() - t0) / 1_000_000
              + " ms; down for " + down + " ms");
          Thread.sleep(down);
          s.resetFaults();
          s.start();
          log("restart-graceful " + s.name() + ": started");
          body = "{}";
        }
        default -> {
          code = 404;
          body = "{\"error\":\"unknown path\"}";
        }
      }
    } catch (RuntimeException | InterruptedException e) {
      code = 400;
      body = "{\"error\":\"" + String.valueOf(e.getMessage()).replace("\"", "'") + "\"}";
    }
    byte[] out = (body + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, out.length);
    ex.getResponseBody().write(out);
    ex.close();
  }

  private String stats() {
    StringBuilder sb = new StringBuilder("[");
    for (SimulatedApiserver s : sims.values()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      Map<String, Integer> byAuth = new TreeMap<>();
      int api = 0;
      for (RecordedRequest r : s.requests()) {
        if (r.uri().startsWith("/readyz") || r.uri().startsWith("/livez") || r.uri().startsWith("/healthz")) {
          continue;
        }
        api++;
        String how = r.user().map(u -> u.method().name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .orElse("unauthorized");
        byAuth.merge(how, 1, Integer::sum);
      }
      sb.append(String.format("{\"name\":\"%s\",\"listening\":%s,\"connections\":%d,\"watches\":%d,\"apiRequests\":%d",
          s.name(), s.isListening(), s.connectionCount(), s.watchCount(), api));
      if (clientCaFile != null || requestHeaderCaFile != null) {
        sb.append(",\"auth\":{");
        String sep = "";
        for (Map.Entry<String, Integer> e : byAuth.entrySet()) {
          sb.append(sep).append('"').append(e.getKey()).append("\":").append(e.getValue());
          sep = ",";
        }
        sb.append('}');
      }
      sb.append('}');
    }
    return sb.append(']').toString();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int i = kv.indexOf('=');
        q.put(i < 0 ? kv : kv.substring(0, i), i < 0 ? "" : kv.substring(i + 1));
      }
    }
    return q;
  }
}
