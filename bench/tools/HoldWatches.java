// Holds N watches open through a proxy, for bench/footprint.sh. JDK only (java.net.http), run as a
// single-file source program:
//   java bench/tools/HoldWatches.java --url https://127.0.0.1:7443 --ca ca.crt --watches 1000
//
// The watches are spread over HTTP/2 connections of at most --per-connection streams each (one
// HttpClient per connection: the JDK client keeps one HTTP/2 connection per authority), like the
// multiplexed watches of a kubelet or a controller. Bodies are counted and dropped without a thread
// per watch. A watch that ends is opened again after a second. Every second one line goes to
// standard output: "open=N started=N ended=N failed=N bytes=N"; the caller waits for open=N.
// Stops by itself after --duration seconds (0: when killed).

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class HoldWatches {
  static final AtomicLong open = new AtomicLong();
  static final AtomicLong started = new AtomicLong();
  static final AtomicLong ended = new AtomicLong();
  static final AtomicLong failed = new AtomicLong();
  static final AtomicLong bytes = new AtomicLong();
  static volatile String lastError = "";

  public static void main(String[] args) throws Exception {
    String url = null;
    String path = "/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true";
    Path ca = null;
    String token = null;
    int watches = 1000;
    int perConnection = 100;
    long duration = 0;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--url" -> url = v;
        case "--path" -> path = v;
        case "--ca" -> ca = Path.of(v);
        case "--token" -> token = v;
        case "--watches" -> watches = Integer.parseInt(v);
        case "--per-connection" -> perConnection = Integer.parseInt(v);
        case "--duration" -> duration = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    if (url == null || ca == null || watches < 1 || perConnection < 1) {
      System.err.println("usage: HoldWatches --url URL --ca FILE [--watches N] [--per-connection N] "
          + "[--token T] [--path P] [--duration S]");
      System.exit(2);
    }
    SSLContext ssl = trusting(ca);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hold-watches-timer");
      t.setDaemon(true);
      return t;
    });
    List<HttpClient> clients = new ArrayList<>();
    int connections = (watches + perConnection - 1) / perConnection;
    for (int c = 0; c < connections; c++) {
      clients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(ssl)
          .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "hold-watches-client");
            t.setDaemon(true);
            return t;
          })).build());
    }
    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url + path)).GET();
    if (token != null) {
      rb.header("Authorization", "Bearer " + token);
    }
    HttpRequest request = rb.build();
    // The first stream of each client opens its connection; the rest follow once it is up, so that
    // every client uses exactly one connection.
    for (int c = 0; c < connections; c++) {
      HttpClient client = clients.get(c);
      int n = Math.min(perConnection, watches - c * perConnection);
      Watch first = new Watch(client, request, timer);
      first.start();
      timer.schedule(() -> {
        for (int i = 1; i < n; i++) {
          new Watch(client, request, timer).start();
        }
      }, 500, TimeUnit.MILLISECONDS);
    }
    long deadline = duration > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(duration) : Long.MAX_VALUE;
    while (System.nanoTime() < deadline) {
      String err = lastError;
      System.out.println("open=" + open.get() + " started=" + started.get() + " ended=" + ended.get()
          + " failed=" + failed.get() + " bytes=" + bytes.get() + (err.isEmpty() ? "" : " last-error=" + err));
      System.out.flush();
      Thread.sleep(1000);
    }
    System.exit(0);
  }

  static SSLContext trusting(Path caFile) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** One watch: counted as open once its response head is in, opened again a second after it ends. */
  static final class Watch {
    final HttpClient client;
    final HttpRequest request;
    final ScheduledExecutorService timer;

    Watch(HttpClient client, HttpRequest request, ScheduledExecutorService timer) {
      this.client = client;
      this.request = request;
      this.timer = timer;
    }

    void start() {
      started.incrementAndGet();
      boolean[] counted = {false};
      client.sendAsync(request, info -> {
        if (info.statusCode() == 200) {
          counted[0] = true;
          open.incrementAndGet();
        }
        return BodySubscribers.fromSubscriber(new Counter());
      }).whenComplete((resp, err) -> {
        if (counted[0]) {
          open.decrementAndGet();
        }
        if (err != null || resp.statusCode() != 200) {
          failed.incrementAndGet();
          lastError = err != null ? String.valueOf(err).replace(' ', '_') : "status_" + resp.statusCode();
        } else {
          ended.incrementAndGet();
        }
        timer.schedule(this::start, 1, TimeUnit.SECONDS);
      });
    }
  }

  /** Counts body bytes and drops them. */
  static final class Counter implements Flow.Subscriber<List<ByteBuffer>> {
    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      long n = 0;
      for (ByteBuffer b : item) {
        n += b.remaining();
      }
      bytes.addAndGet(n);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onComplete() {}
  }
}
