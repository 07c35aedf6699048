package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.ControlPlaneFixture.ProcessResult;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real kubectl with a token kubeconfig, through apilb, against three simulated apiservers. */
class KubectlIT {
  static ControlPlaneFixture cp;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    cp = ControlPlaneFixture.start(3);
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void getCreateApplyDeleteWork() throws Exception {
    ProcessResult create = cp.kubectl("create", "configmap", "alpha", "--from-literal=a=1");
    assertThat(create.ok()).as(create.stderr()).isTrue();
    assertThat(create.stdout()).contains("configmap/alpha created");
    assertThat(cp.cluster.configMap("default", "alpha")).isPresent();

    ProcessResult get = cp.kubectl("get", "configmaps");
    assertThat(get.ok()).as(get.stderr()).isTrue();
    assertThat(get.stdout()).contains("NAME", "alpha");

    Path manifest = cp.dir.resolve("beta.yaml");
    Files.writeString(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: beta\ndata:\n  x: \"1\"\n");
    ProcessResult apply = cp.kubectl("apply", "-f", manifest.toString());
    assertThat(apply.ok()).as(apply.stderr()).isTrue();
    assertThat(apply.stdout()).contains("configmap/beta created");
    Files.writeString(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: beta\ndata:\n  x: \"2\"\n");
    ProcessResult reapply = cp.kubectl("apply", "-f", manifest.toString());
    assertThat(reapply.ok()).as(reapply.stderr()).isTrue();
    assertThat(reapply.stdout()).contains("configmap/beta configured");
    assertThat(cp.cluster.configMap("default", "beta").orElseThrow().get("data").get("x").asText()).isEqualTo("2");

    ProcessResult delete = cp.kubectl("delete", "configmap", "alpha");
    assertThat(delete.ok()).as(delete.stderr()).isTrue();
    assertThat(cp.cluster.configMap("default", "alpha")).isEmpty();

    // the traffic really went through apilb to more than one backend
    long served = cp.backends.stream().filter(b -> b.requestCount(r -> r.path().contains("/configmaps")) > 0).count();
    assertThat(served).isGreaterThanOrEqualTo(2);
  }

  @Test
  void getWatchShowsEachEventAsItHappens() throws Exception {
    Process watch = cp.kubectlProcess(cp.kubeconfig, "get", "configmaps", "-w", "--request-timeout=0")
        .redirectErrorStream(true).start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (java.io.IOException ignored) {
        // process killed
      }
    });
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream().anyMatch(l -> l.startsWith("NAME")));
      for (int i = 0; i < 3; i++) {
        String name = "watched-" + i;
        cp.cluster.createConfigMap("default", name, Map.of("i", Integer.toString(i)));
        // each event appears promptly, not when the stream ends
        await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.startsWith(name)));
      }
      assertThat(watch.isAlive()).isTrue();
    } finally {
      watch.destroyForcibly();
      reader.join(5000);
    }
  }
}
