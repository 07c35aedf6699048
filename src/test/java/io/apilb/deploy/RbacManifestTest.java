package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.MappingIterator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docker/apilb-rbac.yaml grants exactly the reads apilb makes, to the user it asserts by default. */
class RbacManifestTest {

  @Test
  void grantsLeasesAndDiscoveryReadsToSystemApilb() throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = new ObjectMapper(new YAMLFactory())
        .readerFor(JsonNode.class).readValues(DeployFiles.file("docker/apilb-rbac.yaml").toFile())) {
      it.forEachRemaining(docs::add);
    }
    assertThat(docs).hasSize(4);
    JsonNode leases = role(docs, "kube-system");
    assertThat(leases.at("/rules/0/apiGroups/0").asText()).isEqualTo("coordination.k8s.io");
    assertThat(leases.at("/rules/0/resources/0").asText()).isEqualTo("leases");
    assertThat(leases.at("/rules/0/verbs").toString()).contains("get", "list", "watch");
    JsonNode discovery = role(docs, "default");
    assertThat(discovery.at("/rules/0/resources/0").asText()).isEqualTo("endpointslices");
    assertThat(discovery.at("/rules/0/verbs").toString()).contains("list", "watch");
    assertThat(discovery.at("/rules/1/resources/0").asText()).isEqualTo("endpoints");
    assertThat(discovery.at("/rules/1/verbs").toString()).contains("get");
    for (JsonNode d : docs) {
      if (d.get("kind").asText().equals("RoleBinding")) {
        assertThat(d.at("/subjects/0/name").asText()).isEqualTo("system:apilb"); // apilb.api-identity.user
      }
    }
    assertThat(DeployFiles.read("src/main/resources/reference.conf")).contains("user = \"system:apilb\"");
  }

  private static JsonNode role(List<JsonNode> docs, String namespace) {
    return docs.stream().filter(d -> d.get("kind").asText().equals("Role")
        && d.at("/metadata/namespace").asText().equals(namespace)).findFirst().orElseThrow();
  }
}
