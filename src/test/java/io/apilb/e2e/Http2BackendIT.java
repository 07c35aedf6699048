package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * apilb multiplexing requests over HTTP/2 connections to simulated apiservers that serve HTTP/2 like
 * kube-apiserver (250 streams per connection, GOAWAY for unauthenticated requests).
 */
class Http2BackendIT {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

  /** Counts the lines (watch events) of one response; never stops reading. */
  static final class Lines implements Flow.Subscriber<String> {
    final AtomicInteger lines = new AtomicInteger();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    /** Completes with the status when the response head arrives (sendAsync completes only at the body's end). */
    final CompletableFuture<Integer> status = new CompletableFuture<>();

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String item) {
      lines.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
      ended.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      ended.complete(null);
    }
  }

  private static CompletableFuture<Integer> watch(ControlPlaneFixture cp, HttpClient client, Lines lines,
      String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(cp.uri(CONFIGMAPS + "?watch=true&resourceVersion="
        + cp.cluster.resourceVersion())).GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    client.sendAsync(b.build(), info -> {
      lines.status.complete(info.statusCode());
      return HttpResponse.BodySubscribers.fromLineSubscriber(lines);
    }).whenComplete((r, e) -> lines.status.completeExceptionally(e == null ? new IllegalStateException("ended") : e));
    return lines.status;
  }

  private static int backendConnections(ControlPlaneFixture cp) {
    return cp.backends.stream().mapToInt(b -> b.http2Sessions().connections()).sum();
  }

  private static HttpResponse<String> post(ControlPlaneFixture cp, HttpClient client, String name, String data)
      throws Exception {
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name
        + "\"},\"data\":{\"k\":\"" + data + "\"}}";
    return client.send(HttpRequest.newBuilder(cp.uri(CONFIGMAPS)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thousandCertificateWatchesUseAHandfulOfBackendConnections() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(3, "", true)) {
      Issued alice = cp.issueClient("alice", "dev");
      List<Lines> watches = new ArrayList<>();
      List<CompletableFuture<Integer>> heads = new ArrayList<>();
      for (int c = 0; c < 5; c++) {
        HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, alice);
        assertThat(cp.get(client, CONFIGMAPS).statusCode()).isEqualTo(200); // one client connection, then 200 streams
        for (int i = 0; i < 200; i++) {
          Lines l = new Lines();
          watches.add(l);
          heads.add(watch(cp, client, l, null));
        }
      }
      CompletableFuture.allOf(heads.toArray(new CompletableFuture[0])).get(60, java.util.concurrent.TimeUnit.SECONDS);
      heads.forEach(h -> assertThat(h.join()).isEqualTo(200));
      int loops = Runtime.getRuntime().availableProcessors();
      int bound = (int) Math.ceil(1000 / 250.0) + loops * cp.backends.size();
      assertThat(backendConnections(cp)).isBetween(1, bound);
      for (SimulatedApiserver b : cp.backends) {
        assertThat(b.http2Sessions().openStreamsPerConnection()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(250));
      }
      cp.cluster.createConfigMap("default", "hello", Map.of("k", "v"));
      await().atMost(Duration.ofSeconds(30)).until(() -> watches.stream().allMatch(w -> w.lines.get() >= 1));
      assertThat(watches).allSatisfy(w -> assertThat(w.ended).isNotDone());
    }
  }

  @Test
  void refusedStreamIsRetriedForAPost() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "", true)) {
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      assertThat(cp.get(client, CONFIGMAPS).statusCode()).isEqualTo(200); // the connection is up
      cp.backends.get(0).http2Sessions().refuseNextStreams(1);
      HttpResponse<String> r = post(cp, client, "once", "v");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(cp.cluster.configMap("default", "once")).isPresent();
      assertThat(cp.backends.get(0).requestCount(q -> q.method().equals("POST"))).isEqualTo(1);
    }
  }

  @Test
  void anonymousAndInvalidTokenClientsNeverEndOthersWatches() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "", true)) {
      SimulatedApiserver sim = cp.backends.get(0);
      sim.http2Sessions().rejectTokens("bad");
      HttpClient certClient = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      HttpClient tokenClient = cp.httpClient(HttpClient.Version.HTTP_2);
      List<Lines> watches = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Lines a = new Lines();
        Lines b = new Lines();
        watches.add(a);
        watches.add(b);
        assertThat(watch(cp, certClient, a, null).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(watch(cp, tokenClient, b, "Bearer good").get(10, java.util.concurrent.TimeUnit.SECONDS))
            .isEqualTo(200);
      }
      HttpClient anonymous = cp.httpClient(HttpClient.Version.HTTP_2);
      for (int i = 0; i < 10; i++) {
        anonymous.send(HttpRequest.newBuilder(cp.uri(CONFIGMAPS)).GET().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> bad = anonymous.send(HttpRequest.newBuilder(cp.uri(CONFIGMAPS))
            .header("Authorization", "Bearer bad").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(401);
      }
      assertThat(sim.http2Sessions().retiredForUnauthenticated()).as("the 1.28+ behaviour is on").isPositive();
      cp.cluster.createConfigMap("default", "after", Map.of("k", "v"));
      await().atMost(Duration.ofSeconds(10)).until(() -> watches.stream().allMatch(w -> w.lines.get() >= 1));
      assertThat(watches).allSatisfy(w -> assertThat(w.ended).isNotDone());
    }
  }

  @Test
  void aStalledWatchStallsNoOtherStreamOnItsConnection() throws Exception {
    // the single-threaded simulator is busy serialising events for 100 watches: slow probes are not the point here
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "apilb.health { interval = 4s, timeout = 3s, fall = 20 }", true)) {
      SimulatedApiserver sim = cp.backends.get(0);
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      // the stalled watch takes one buffer and never asks for more
      HttpRequest stalledReq = HttpRequest.newBuilder(cp.uri(CONFIGMAPS + "?watch=true&resourceVersion="
          + cp.cluster.resourceVersion())).GET().build();
      CompletableFuture<Integer> stalledHead = new CompletableFuture<>();
      client.sendAsync(stalledReq, info -> {
        stalledHead.complete(info.statusCode());
        return HttpResponse.BodySubscribers.fromSubscriber(new Flow.Subscriber<List<ByteBuffer>>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onComplete() {}
      });
      });
      assertThat(stalledHead.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
      List<Lines> active = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        Lines l = new Lines();
        active.add(l);
        assertThat(watch(cp, client, l, null).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
      }
      assertThat(sim.http2Sessions().connections()).isEqualTo(1);
      String big = "x".repeat(8 * 1024);
      int events = 100; // 800 KB through every watch: beyond the stalled stream's windows at apilb
      ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < events; i++) {
        cp.cluster.createConfigMap("default", "big-" + i, Map.of("k", big));
        long t0 = System.nanoTime();
        HttpResponse<String> got = cp.get(client, CONFIGMAPS + "/big-" + i);
        assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
        latencies.add(System.nanoTime() - t0);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> active.stream().allMatch(w -> w.lines.get() >= events));
      List<Long> sorted = latencies.stream().sorted().toList();
      long p99 = sorted.get((int) (sorted.size() * 0.99) - 1);
      assertThat(Duration.ofNanos(p99)).isLessThan(Duration.ofSeconds(1));
      assertThat(sim.http2Sessions().connections()).isEqualTo(1);
    }
  }

  @RepeatedTest(value = 3, failureThreshold = 1)
  void goAwayDuringLoadLosesNothing() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(3, "", true)) {
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      AtomicLong ok = new AtomicLong();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          int i = 0;
          while (System.nanoTime() < until) {
            try {
              HttpResponse<String> r = i % 2 == 0 ? post(cp, client, "load-" + id + "-" + i, "v")
                  : cp.get(client, CONFIGMAPS);
              if (r.statusCode() / 100 == 2) {
                ok.incrementAndGet();
              } else {
                failures.add(r.statusCode() + " " + r.body());
              }
            } catch (Exception e) {
              failures.add(e.toString());
            }
            i++;
          }
        });
        th.start();
        threads.add(th);
      }
      Thread.sleep(1500);
      cp.backends.get(0).stop(); // GOAWAY to apilb's connections; open streams finish
      for (Thread t : threads) {
        t.join();
      }
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isPositive();
    }
  }

  @Test
  void abruptBackendDeathUnderLoadFailsNoGet() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(3, "", false)) {
      cp.cluster.createConfigMap("default", "seed", Map.of("k", "v"));
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
      int failed = 0;
      for (int i = 0; i < 150; i++) {
        if (i == 30) {
          cp.backend("cp3").stopAbruptly(); // a TCP reset on every multiplexed connection, no GOAWAY
        }
        if (cp.get(client, CONFIGMAPS + "/seed").statusCode() != 200) {
          failed++;
        }
      }
      assertThat(failed).isZero();
      assertThat(cp.backends.stream().mapToInt(b -> b.http2Sessions().connections()).sum()).isPositive();
    }
  }
}
