package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.ControlPlaneFixture.ProcessResult;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Health rotation and failover with simulated apiservers. */
class FailoverIT {
  ControlPlaneFixture cp;

  @BeforeEach
  void start() throws Exception {
    cp = ControlPlaneFixture.start(3);
    cp.cluster.createConfigMap("default", "seed", Map.of("k", "v"));
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void aBackendWhoseReadyzFailsGetsNoNewRequestsAfterFallAndReturnsAfterRise() throws Exception {
    SimulatedApiserver sick = cp.backend("cp2");
    sick.failReadyzChecks("etcd");
    await().atMost(Duration.ofSeconds(5)).until(() ->
        !cp.apilb.backends().snapshot().byName("cp2").orElseThrow().ready());
    assertThat(cp.apilb.backends().snapshot().byName("cp2").orElseThrow().state().reason()).contains("500");
    sick.clearRequests();
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    for (int i = 0; i < 20; i++) {
      assertThat(cp.get(client, "/api/v1/namespaces/default/configmaps/seed").statusCode()).isEqualTo(200);
    }
    assertThat(sick.requestCount(r -> r.path().contains("/configmaps"))).isZero();

    sick.resetFaults();
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cp.apilb.backends().snapshot().byName("cp2").orElseThrow().ready());
    for (int i = 0; i < 30; i++) {
      assertThat(cp.get(client, "/api/v1/namespaces/default/configmaps/seed").statusCode()).isEqualTo(200);
    }
    assertThat(sick.requestCount(r -> r.path().contains("/configmaps"))).isGreaterThan(0);
  }

  @Test
  void stoppingABackendAbruptlyDuringAKubectlGetLoopFailsNoGet() throws Exception {
    assumeTrue(ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      if (i == 6) {
        cp.backend("cp1").stopAbruptly();
      }
      ProcessResult r = cp.kubectl("get", "configmap", "seed", "-o", "name");
      if (!r.ok() || !r.stdout().contains("configmap/seed")) {
        failures.add("#" + i + ": " + r.stderr());
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void stoppingABackendAbruptlyUnderHttp2LoadFailsNoGet() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    int failed = 0;
    for (int i = 0; i < 150; i++) {
      if (i == 30) {
        cp.backend("cp3").stopAbruptly();
      }
      if (cp.get(client, "/api/v1/namespaces/default/configmaps/seed").statusCode() != 200) {
        failed++;
      }
    }
    assertThat(failed).isZero();
  }
}
