package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * After a backend restarts, new requests and watches spread back to it: watches because the
 * rebalancer ends a bounded share of them cleanly and clients re-watch (as client-go does).
 */
class RebalanceIT {
  ControlPlaneFixture cp;
  final AtomicBoolean running = new AtomicBoolean(true);
  final List<Thread> watchers = new ArrayList<>();
  final AtomicInteger cleanEnds = new AtomicInteger();

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    if (cp != null) {
      cp.close();
    }
    for (Thread t : watchers) {
      t.interrupt();
      t.join(2000);
    }
  }

  /** A client-go style watch loop: watch, and when the stream ends, watch again. */
  private void startWatcher(HttpClient client, int id) {
    Thread t = new Thread(() -> {
      while (running.get()) {
        try {
          HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(
                  cp.uri("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true"))
              .header("Authorization", "Bearer test-token").build(), HttpResponse.BodyHandlers.ofInputStream());
          try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            while (in.readLine() != null) {
              // events
            }
          }
          cleanEnds.incrementAndGet();
        } catch (Exception e) {
          if (!running.get()) {
            return;
          }
          try {
            Thread.sleep(200); // back off like a reflector
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }, "watcher-" + id);
    t.setDaemon(true);
    t.start();
    watchers.add(t);
  }

  @Test
  void afterABackendRestartsItServesItsShareOfRequestsAndWatchesWithinAMinute() throws Exception {
    restartAndRebalance(false);
  }

  /** The same with multiplexed HTTP/2 backend connections: rebalanced watches end with RST_STREAM CANCEL. */
  @Test
  void overHttp2BackendsTooAfterABackendRestartsItServesItsShare() throws Exception {
    restartAndRebalance(true);
    int[] h2 = cp.backends.stream().mapToInt(b -> b.http2Sessions().connections()).toArray();
    assertThat(java.util.Arrays.stream(h2).sum()).as("multiplexed connections %s", java.util.Arrays.toString(h2))
        .isPositive();
  }

  private void restartAndRebalance(boolean http2) throws Exception {
    String config = """
        apilb.balancing { slow-start = 5s, rebalance { max-share = 0.34, per-second = 10 } }
        # the abrupt stop ejects cp1 (connect failures) before its probes fail; keep that short here
        apilb.outlier-detection.base-ejection-time = 2s
        """;
    cp = http2 ? ControlPlaneFixture.startHttp2(3, config, false) : ControlPlaneFixture.start(3, config);
    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      clients.add(cp.httpClient(HttpClient.Version.HTTP_2));
    }
    for (int w = 0; w < 30; w++) {
      startWatcher(clients.get(w % 6), w);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> watchTotal() == 30);

    SimulatedApiserver restarting = cp.backend("cp1");
    restarting.stopAbruptly();
    await().atMost(Duration.ofSeconds(20)).until(() -> restarting.watchCount() == 0 && watchTotal() == 30
        && !cp.apilb.backends().snapshot().byName("cp1").orElseThrow().ready());
    restarting.start();

    long restartedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
        cp.backends.stream().allMatch(b -> b.watchCount() >= 6) && watchTotal() == 30);
    assertThat(Duration.ofNanos(System.nanoTime() - restartedAt)).isLessThan(Duration.ofSeconds(60));

    cp.backends.forEach(SimulatedApiserver::clearRequests);
    for (int i = 0; i < 300; i++) {
      assertThat(cp.get(clients.get(i % 6), "/api/v1/namespaces/default/configmaps").statusCode()).isEqualTo(200);
    }
    Map<String, Integer> share = new HashMap<>();
    for (SimulatedApiserver b : cp.backends) {
      share.put(b.name(), b.requestCount(r -> r.path().endsWith("/configmaps") && !r.uri().contains("watch")));
    }
    assertThat(share.values()).as("requests per backend %s", share).allMatch(n -> n >= 75);
    assertThat(cleanEnds.get()).as("moved watches ended cleanly").isPositive();
  }

  private int watchTotal() {
    return cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum();
  }
}
