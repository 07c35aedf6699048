package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.backend.HealthFlag;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Apiserver-aware balancing: safe retries, draining, panic mode, operator control, outliers. */
class BalancingIT {
  ControlPlaneFixture cp;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  private HttpResponse<String> send(HttpClient client, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cp.uri(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer test-token").header("Content-Type", "application/json");
    HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
    return client.send(b.method(method, pub).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String configMap(String name, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"v\":\"" + value + "\"}}";
  }

  @Test
  void aGracefulShutdownSequenceFailsNoRequestOfAnyVerb() throws Exception {
    cp = ControlPlaneFixture.start(3);
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    SimulatedApiserver leaving = cp.backend("cp2");
    List<String> failures = new ArrayList<>();
    String ns = "/api/v1/namespaces/default/configmaps";
    for (int i = 0; i < 60; i++) {
      switch (i) {
        case 10 -> leaving.rejectAsShuttingDown(true); // worst case: before readyz turns red
        case 25 -> leaving.setReady(false);             // [-]shutdown
        case 40 -> leaving.refuseConnections(true);     // the listener closes
        default -> { }
      }
      String name = "gs-" + i;
      check(failures, "POST " + name, send(client, "POST", ns, configMap(name, "1")), 201);
      check(failures, "GET " + name, send(client, "GET", ns + "/" + name, null), 200);
      check(failures, "LIST", send(client, "GET", ns, null), 200);
      String current = send(client, "GET", ns + "/" + name, null).body();
      String rv = current.replaceAll("(?s).*\"resourceVersion\":\"(\\d+)\".*", "$1");
      check(failures, "PUT " + name, send(client, "PUT", ns + "/" + name,
          configMap(name, "2").replace("\"name\":\"" + name + "\"", "\"name\":\"" + name + "\",\"resourceVersion\":\"" + rv + "\"")), 200);
      HttpResponse<String> patch = client.send(HttpRequest.newBuilder(cp.uri(ns + "/" + name))
          .header("Authorization", "Bearer test-token").header("Content-Type", "application/merge-patch+json")
          .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"data\":{\"p\":\"1\"}}")).build(),
          HttpResponse.BodyHandlers.ofString());
      check(failures, "PATCH " + name, patch, 200);
      check(failures, "DELETE " + name, send(client, "DELETE", ns + "/" + name, null), 200);
    }
    assertThat(failures).isEmpty();
    assertThat(cp.cluster.configMaps("default")).noneMatch(cm -> cm.get("metadata").get("name").asText().startsWith("gs-"));
    assertThat(leaving.requestCount(r -> r.path().contains("/configmaps"))).as("cp2 saw some of the load").isPositive();
    assertThat(cp.apilb.metrics().registry().counter("apilb.backend.retries.cp2.shutdown_429").getCount()).isPositive();
    assertThat(cp.apilb.backends().snapshot().byName("cp2").orElseThrow().state().flags()).contains(HealthFlag.DRAINING);
  }

  private static void check(List<String> failures, String what, HttpResponse<String> r, int expected) {
    if (r.statusCode() != expected) {
      failures.add(what + " -> " + r.statusCode() + " " + r.body());
    }
  }

  @Test
  void aPostWhoseConnectionDropsAfterTheBodyIsAnsweredWithAnErrorAndReachesTheBackendsOnce() throws Exception {
    cp = ControlPlaneFixture.start(3);
    cp.backends.forEach(b -> b.closeAfterRequestBody(true));
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpResponse<String> r = send(client, "POST", "/api/v1/namespaces/default/configmaps", configMap("once", "1"));
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("\"kind\":\"Status\"", "closed the connection before responding");
    assertThat(r.headers().firstValue("retry-after")).as("never invite a replay of a maybe-executed POST").isEmpty();
    int seen = cp.backends.stream().mapToInt(b -> b.requestCount(rr -> rr.method().equals("POST"))).sum();
    assertThat(seen).isEqualTo(1);

    // a GET in the same situation is retried once on another backend
    cp.backends.forEach(SimulatedApiserver::clearRequests);
    HttpResponse<String> g = send(client, "GET", "/api/v1/namespaces/default/configmaps/x", null);
    assertThat(g.statusCode()).isEqualTo(502);
    assertThat(cp.backends.stream().mapToInt(b -> b.requestCount(rr -> rr.method().equals("GET") && rr.path().endsWith("/x"))).sum())
        .isEqualTo(2);
  }

  @Test
  void panicModeEngagesAndReleasesAtItsThreshold() throws Exception {
    cp = ControlPlaneFixture.start(3, "apilb.balancing.panic-threshold = 0.5");
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    cp.backend("cp1").failReadyzChecks("etcd");
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.apilb.backends().snapshot().ready().size() == 2);
    assertThat(cp.apilb.backends().snapshot().panic()).as("2 of 3 ready is above 0.5").isFalse();
    cp.backend("cp2").failReadyzChecks("etcd");
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.apilb.backends().snapshot().panic());
    cp.backends.forEach(SimulatedApiserver::clearRequests);
    for (int i = 0; i < 30; i++) {
      assertThat(send(client, "GET", "/api/v1/namespaces/default/configmaps", null).statusCode()).isEqualTo(200);
    }
    assertThat(cp.backend("cp1").requestCount(r -> r.path().contains("/configmaps"))).as("unready but alive").isPositive();
    assertThat(metric("apilb_balancing_panic")).isEqualTo("1.0");
    cp.backend("cp1").resetFaults();
    await().atMost(Duration.ofSeconds(5)).until(() -> !cp.apilb.backends().snapshot().panic());
    cp.backends.forEach(SimulatedApiserver::clearRequests);
    for (int i = 0; i < 30; i++) {
      assertThat(send(client, "GET", "/api/v1/namespaces/default/configmaps", null).statusCode()).isEqualTo(200);
    }
    assertThat(cp.backend("cp2").requestCount(r -> r.path().contains("/configmaps"))).as("released: unready again").isZero();
    assertThat(metric("apilb_balancing_panic")).isEqualTo("0.0");
  }

  private String metric(String name) throws Exception {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(cp.adminUri("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(name + " ")).map(l -> l.substring(name.length() + 1).trim())
        .findFirst().orElse("absent");
  }

  @Test
  void drainAndUndrainThroughTheAdminPortTakeEffectOnTheNextRequest() throws Exception {
    cp = ControlPlaneFixture.start(3);
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpClient admin = HttpClient.newHttpClient();
    HttpResponse<String> drained = admin.send(HttpRequest.newBuilder(cp.adminUri("/backends/cp3/drain"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(drained.statusCode()).isEqualTo(200);
    cp.backends.forEach(SimulatedApiserver::clearRequests);
    for (int i = 0; i < 20; i++) {
      assertThat(send(client, "GET", "/api/v1/namespaces/default/configmaps", null).statusCode()).isEqualTo(200);
    }
    assertThat(cp.backend("cp3").requestCount(r -> r.path().contains("/configmaps"))).isZero();
    String backends = admin.send(HttpRequest.newBuilder(cp.adminUri("/backends")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(backends).contains("disabled_by_operator");
    admin.send(HttpRequest.newBuilder(cp.adminUri("/backends/cp3/undrain")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    for (int i = 0; i < 20; i++) {
      assertThat(send(client, "GET", "/api/v1/namespaces/default/configmaps", null).statusCode()).isEqualTo(200);
    }
    assertThat(cp.backend("cp3").requestCount(r -> r.path().contains("/configmaps"))).isPositive();
  }

  @Test
  void anAbruptKillFailsNoGetOrListAndWatchesReestablishOnTheOthers() throws Exception {
    cp = ControlPlaneFixture.start(3);
    Config config = Config.fromKubeconfig(Files.readString(cp.kubeconfig));
    List<KubernetesClient> clients = new ArrayList<>();
    List<Watch> watches = new ArrayList<>();
    Map<Integer, Set<String>> seen = new ConcurrentHashMap<>();
    try {
      for (int w = 0; w < 6; w++) {
        KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
        clients.add(c);
        int id = w;
        seen.put(id, ConcurrentHashMap.newKeySet());
        watches.add(c.configMaps().inNamespace("default").watch(new Watcher<>() {
          @Override
          public void eventReceived(Action action, ConfigMap cm) {
            seen.get(id).add(action + " " + cm.getMetadata().getName());
          }

          @Override
          public void onClose(WatcherException cause) {
            // fabric8 reconnects by itself unless the watch is closed
          }
        }));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum() >= 6);
      SimulatedApiserver victim = cp.backends.stream().max((a, b) -> a.watchCount() - b.watchCount()).orElseThrow();
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicBoolean killed = new AtomicBoolean();
      for (int i = 0; i < 120; i++) {
        if (i == 20 && killed.compareAndSet(false, true)) {
          victim.stopAbruptly();
        }
        HttpResponse<String> list = send(client, "GET", "/api/v1/namespaces/default/configmaps", null);
        if (list.statusCode() != 200) {
          failures.add("LIST " + list.statusCode());
        }
        HttpResponse<String> get = send(client, "GET", "/api/v1/namespaces/default/configmaps/missing", null);
        if (get.statusCode() != 404) {
          failures.add("GET " + get.statusCode() + " " + get.body());
        }
      }
      assertThat(failures).isEmpty();
      cp.cluster.createConfigMap("default", "after-kill", Map.of("a", "b"));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        for (Set<String> s : seen.values()) {
          assertThat(s).contains("ADDED after-kill");
        }
      });
      assertThat(victim.watchCount()).isZero();
    } finally {
      watches.forEach(Watch::close);
      clients.forEach(KubernetesClient::close);
    }
  }

  @Test
  void consecutiveServerErrorsEjectABackendUntilProbesReadmitItAfterTheBackOff() throws Exception {
    cp = ControlPlaneFixture.start(3, """
        apilb.outlier-detection { consecutive-failures = 3, base-ejection-time = 1s, max-ejection-time = 4s }
        """);
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    SimulatedApiserver bad = cp.backend("cp1");
    bad.failRequests(500);
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      send(client, "GET", "/api/v1/namespaces/default/configmaps", null);
      return cp.apilb.backends().snapshot().byName("cp1").orElseThrow().state().flags().contains(HealthFlag.EJECTED);
    });
    bad.clearRequests();
    for (int i = 0; i < 15; i++) {
      send(client, "GET", "/api/v1/namespaces/default/configmaps", null);
    }
    assertThat(bad.requestCount(r -> r.path().contains("/configmaps"))).isZero();
    assertThat(cp.apilb.metrics().registry().counter("apilb.backend.ejections.cp1").getCount()).isEqualTo(1);
    bad.resetFaults();
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.apilb.backends().snapshot().byName("cp1").orElseThrow().ready());
  }
}
