package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.testing.ControlPlaneFixture;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.FileReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fabric8 client (CRUD and a watch) and the official Kubernetes Java client through apilb. */
class JavaClientsIT {
  static ControlPlaneFixture cp;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.start(3);
  }

  @AfterAll
  static void stop() {
    cp.close();
  }

  private static KubernetesClient fabric8() throws Exception {
    Config config = Config.fromKubeconfig(java.nio.file.Files.readString(cp.kubeconfig));
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Test
  void fabric8CrudAndWatch() throws Exception {
    try (KubernetesClient client = fabric8()) {
      List<String> events = new CopyOnWriteArrayList<>();
      Watch watch = client.configMaps().inNamespace("default").watch(new Watcher<>() {
        @Override
        public void eventReceived(Action action, ConfigMap cm) {
          events.add(action + " " + cm.getMetadata().getName());
        }

        @Override
        public void onClose(WatcherException cause) {
          // ended by the test
        }
      });
      try {
        client.configMaps().inNamespace("default").resource(new ConfigMapBuilder()
            .withNewMetadata().withName("f8").endMetadata().addToData("a", "1").build()).create();
        ConfigMap got = client.configMaps().inNamespace("default").withName("f8").get();
        assertThat(got.getData()).containsEntry("a", "1");
        client.configMaps().inNamespace("default").withName("f8").edit(cm -> {
          cm.getData().put("a", "2");
          return cm;
        });
        assertThat(cp.cluster.configMap("default", "f8").orElseThrow().get("data").get("a").asText()).isEqualTo("2");
        assertThat(client.configMaps().inNamespace("default").list().getItems())
            .extracting(cm -> cm.getMetadata().getName()).contains("f8");
        client.configMaps().inNamespace("default").withName("f8").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> cp.cluster.configMap("default", "f8").isEmpty());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(events).contains("ADDED f8", "MODIFIED f8", "DELETED f8"));
      } finally {
        watch.close();
      }
    }
  }

  @Test
  void officialJavaClientLists() throws Exception {
    cp.cluster.createConfigMap("default", "official", Map.of("x", "y"));
    ApiClient api = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(new FileReader(cp.kubeconfig.toFile()))).build();
    V1ConfigMapList list = new CoreV1Api(api).listNamespacedConfigMap("default").execute();
    assertThat(list.getItems()).extracting(cm -> cm.getMetadata().getName()).contains("official");
  }
}
