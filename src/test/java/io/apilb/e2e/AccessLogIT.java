package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.proxy.RequestInfo;
import io.apilb.testing.ControlPlaneFixture;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The JSON access log: one line per request, Kubernetes attributes, never a credential. */
class AccessLogIT {
  ControlPlaneFixture cp;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void everyRequestIsOneJsonLineWithItsKubernetesAttributesAndNoToken() throws Exception {
    Path file = Files.createTempFile("access", ".log");
    cp = ControlPlaneFixture.start(3, "apilb.access-log { mode = \"on\", file = \"" + file + "\" }");
    cp.cluster.createConfigMap("default", "logged", Map.of("a", "b"));
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    String secret = "very-secret-token-value";
    HttpResponse<String> get = client.send(HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps/logged"))
        .header("Authorization", "Bearer " + secret).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(200);
    HttpResponse<String> anon = client.send(HttpRequest.newBuilder(cp.uri("/version")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anon.statusCode()).isEqualTo(200);
    HttpResponse<String> missing = cp.get(client, "/api/v1/namespaces/kube-system/configmaps/nope");
    assertThat(missing.statusCode()).isEqualTo(404);

    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      lines.clear();
      for (String l : Files.readAllLines(file)) {
        lines.add(json.readTree(l)); // every line parses as JSON
      }
      return lines.size() >= 3;
    });
    assertThat(Files.readString(file)).doesNotContain(secret).doesNotContainIgnoringCase("authorization");
    JsonNode g = lines.stream().filter(n -> n.get("name").asText().equals("logged")).findFirst().orElseThrow();
    assertThat(g.get("verb").asText()).isEqualTo("get");
    assertThat(g.get("resource").asText()).isEqualTo("configmaps");
    assertThat(g.get("namespace").asText()).isEqualTo("default");
    assertThat(g.get("identity").asText()).isEqualTo("token");
    assertThat(g.get("status").asInt()).isEqualTo(200);
    assertThat(g.get("protocol").asText()).isEqualTo("h2");
    assertThat(g.get("backend").asText()).startsWith("cp");
    assertThat(g.get("auditId").asText()).isEqualTo(get.headers().firstValue("audit-id").orElseThrow());
    assertThat(g.get("bytes").asLong()).isEqualTo(get.body().length());
    assertThat(g.get("durationMs").asDouble()).isPositive();
    JsonNode v = lines.stream().filter(n -> n.get("path").asText().equals("/version")).findFirst().orElseThrow();
    assertThat(v.get("identity").asText()).isEqualTo("anonymous");
    assertThat(v.get("verb").asText()).isEqualTo("get");
    JsonNode m = lines.stream().filter(n -> n.get("name").asText().equals("nope")).findFirst().orElseThrow();
    assertThat(m.get("status").asInt()).isEqualTo(404);
  }

  @Test
  void requestInfoFollowsTheApiserversRules() {
    assertThat(RequestInfo.parse("GET", "/api/v1/namespaces/ns/pods?watch=true").verb()).isEqualTo("watch");
    assertThat(RequestInfo.parse("GET", "/api/v1/watch/namespaces/ns/pods").verb()).isEqualTo("watch");
    assertThat(RequestInfo.parse("GET", "/api/v1/namespaces/ns/pods").verb()).isEqualTo("list");
    assertThat(RequestInfo.parse("DELETE", "/apis/apps/v1/namespaces/ns/deployments")).isEqualTo(
        new RequestInfo("deletecollection", "apps", "v1", "deployments", "", "ns", ""));
    assertThat(RequestInfo.parse("POST", "/api/v1/namespaces/ns/pods/p/exec?command=ls")).isEqualTo(
        new RequestInfo("connect", "", "v1", "pods", "exec", "ns", "p"));
    assertThat(RequestInfo.parse("PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"))
        .isEqualTo(new RequestInfo("patch", "coordination.k8s.io", "v1", "leases", "", "kube-system", "kube-scheduler"));
    assertThat(RequestInfo.parse("GET", "/readyz").resourceRequest()).isFalse();
  }
}
