package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp2;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The life of multiplexed backend connections (issue 13, point 3): closed when idle, given up
 * within seconds when the peer stops answering PING, and {@code http2 = on} refusing a backend
 * that will not speak h2 with a clear error.
 */
class Http2BackendConnectionsIT {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

  private static int connections(SimulatedApiserver b) {
    return b.http2Sessions().connections();
  }

  @Test
  void idleMultiplexedConnectionsCloseAfterTheBackendIdleTimeout() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "apilb.proxy.backend-idle-timeout = 1s", true)) {
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      SimulatedApiserver b = cp.backends.get(0);
      assertThat(cp.get(client, CONFIGMAPS).statusCode()).isEqualTo(200);
      assertThat(connections(b)).as("multiplexed connections after one request").isEqualTo(1);

      await().atMost(Duration.ofSeconds(6)).until(() -> connections(b) == 0);

      assertThat(cp.get(client, CONFIGMAPS).statusCode()).as("the next request opens a new one").isEqualTo(200);
      assertThat(connections(b)).isEqualTo(1);
    }
  }

  @Test
  void aBackendThatStopsAnsweringPingIsGivenUpWithinTheDeadBackendTimeAndItsWatchEnds() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(2, "apilb.proxy.dead-backend-detection = 2s", true)) {
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      HttpRequest watch = HttpRequest.newBuilder(cp.uri(CONFIGMAPS + "?watch=true&resourceVersion="
          + cp.cluster.resourceVersion())).GET().build();
      CompletableFuture<HttpResponse<Stream<String>>> w = client.sendAsync(watch, HttpResponse.BodyHandlers.ofLines());
      HttpResponse<Stream<String>> head = w.get(10, TimeUnit.SECONDS);
      assertThat(head.statusCode()).isEqualTo(200);
      SimulatedApiserver watched = cp.backends.stream().filter(b -> b.watchCount() > 0).findFirst().orElseThrow();
      CompletableFuture<Long> ended = CompletableFuture.supplyAsync(() -> head.body().count());

      long frozenAt = System.nanoTime();
      watched.freezeOpenConnections();

      ended.get(8, TimeUnit.SECONDS); // the client's watch ends (it reconnects, as client-go does)
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - frozenAt);
      assertThat(seconds).as("seconds until the dead connection was given up").isLessThanOrEqualTo(6);
      assertThat(cp.get(client, CONFIGMAPS).statusCode()).as("requests go on").isEqualTo(200);
    }
  }

  @Test
  void http2OnFailsAMultiplexedRequestToABackendWithoutH2AndServesAnonymousOnesOverHttp1() throws Exception {
    try (HostileFixture f = HostileFixture.start(1, "apilb.backend-tls.http2 = on")) {
      try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
        c.headers(1, List.of(Map.entry(":method", "GET"), Map.entry(":scheme", "https"), Map.entry(":authority", "x"),
            Map.entry(":path", CONFIGMAPS + "?case=token"), Map.entry("authorization", "Bearer some-token")), true);
        c.headers(3, List.of(Map.entry(":method", "GET"), Map.entry(":scheme", "https"), Map.entry(":authority", "x"),
            Map.entry(":path", CONFIGMAPS + "?case=anonymous")), true);
        assertThat(c.awaitStreams(List.of(1, 3), Duration.ofSeconds(10))).isTrue();
        RawHttp2.StreamResult token = c.streams.get(1);
        assertThat(token.status()).isIn("502", "503");
        assertThat(token.body()).contains("\"kind\":\"Status\"", "did not negotiate HTTP/2");
        assertThat(c.streams.get(3).status()).isEqualTo("200");
      }
      assertThat(f.requestsWith("case", "token")).as("never sent to the backend").isEmpty();
      assertThat(f.requestsWith("case", "anonymous")).hasSize(1);
    }
  }

  @Test
  void finishedRequestsCostTheBackendNoResetWhileACancelledWatchDoes() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "", true)) {
      SimulatedApiserver b = cp.backends.get(0);
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      for (int i = 0; i < 50; i++) {
        assertThat(cp.get(client, CONFIGMAPS).statusCode()).isEqualTo(200);
        HttpResponse<String> created = client.send(HttpRequest.newBuilder(cp.uri(CONFIGMAPS))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"rst-" + i + "\"}}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
      }
      assertThat(connections(b)).isEqualTo(1);
      assertThat(b.http2Sessions().resetsReceived())
          .as("RST_STREAMs for 100 streams that ended both ways").isZero();

      CompletableFuture<HttpResponse<Stream<String>>> watch = client.sendAsync(HttpRequest.newBuilder(
          cp.uri(CONFIGMAPS + "?watch=true&resourceVersion=" + cp.cluster.resourceVersion())).GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      assertThat(watch.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> b.watchCount() == 1);
      watch.join().body().close(); // the client gives up its watch: the backend's stream is cancelled
      await().atMost(Duration.ofSeconds(5)).until(() -> b.http2Sessions().resetsReceived() == 1);
      await().atMost(Duration.ofSeconds(5)).until(() -> b.watchCount() == 0);
    }
  }

  @Test
  void tokenWatchesUseConnectionsPerCredentialNotPerWatch() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "", true)) {
      SimulatedApiserver b = cp.backends.get(0);
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
      List<CompletableFuture<HttpResponse<Stream<String>>>> watches = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String token = i % 2 == 0 ? "Bearer token-a" : "Bearer token-b";
        watches.add(client.sendAsync(HttpRequest.newBuilder(cp.uri(CONFIGMAPS + "?watch=true&resourceVersion="
            + cp.cluster.resourceVersion())).header("Authorization", token).GET().build(),
            HttpResponse.BodyHandlers.ofLines()));
      }
      for (CompletableFuture<HttpResponse<Stream<String>>> w : watches) {
        assertThat(w.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> b.watchCount() == 200);
      int loops = Runtime.getRuntime().availableProcessors();
      assertThat(connections(b)).as("2 credentials × %d event loops, 100 watches each under 250 streams", loops)
          .isBetween(2, 2 * loops);
      watches.forEach(w -> w.join().body().close());
    }
  }
}
