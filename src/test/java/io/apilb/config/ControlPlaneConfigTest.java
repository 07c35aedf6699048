package io.apilb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** apilb.discovery, apilb.control-plane, apilb.api-identity and apilb.metrics. */
class ControlPlaneConfigTest {
  private static final String MINIMAL = """
      apilb {
        listener.tls { cert-file = "/etc/apilb/apilb.crt", key-file = "/etc/apilb/apilb.key" }
        backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
        backend-tls.ca-file = "/etc/kubernetes/pki/ca.crt"
      }
      """;

  @Test
  void defaultsAreStaticDiscoveryTheTwoLeasesAndSystemApilb() throws Exception {
    ControlPlaneConfig c = ConfigLoader.parse(MINIMAL, "t").controlPlane();
    assertThat(c.discoveryMode()).isEqualTo(DiscoveryMode.STATIC);
    assertThat(c.discoveryInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.leases()).containsExactly("kube-system/kube-controller-manager", "kube-system/kube-scheduler");
    assertThat(c.user()).isEqualTo("system:apilb");
    assertThat(c.groups()).containsExactly("system:authenticated");
    assertThat(c.tokenFile()).isEmpty();
    assertThat(ConfigLoader.parse(MINIMAL, "t").metrics().maxResources()).isEqualTo(200);
  }

  @Test
  void readsEndpointsliceDiscoveryAndATokenFile() throws Exception {
    ControlPlaneConfig c = ConfigLoader.parse(MINIMAL + """
        apilb.discovery { mode = "endpointslice", interval = 3s }
        apilb.api-identity.token-file = "/var/run/secrets/apilb/token"
        apilb.control-plane.leases = []
        """, "t").controlPlane();
    assertThat(c.discoveryMode()).isEqualTo(DiscoveryMode.ENDPOINTSLICE);
    assertThat(c.discoveryInterval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.tokenFile()).hasValueSatisfying(p -> assertThat(p.toString()).endsWith("token"));
    assertThat(c.leases()).isEmpty();
  }

  @Test
  void reportsEveryMistakeTogether() {
    assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL + """
        apilb.discovery.mode = "dns"
        apilb.control-plane.leases = ["kube-scheduler"]
        apilb.api-identity { token-file = "/t", kubeconfig = "/k" }
        apilb.metrics.max-resources = -1
        """, "t")).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(
            e.errors().stream().map(ConfigError::render).toList()).anySatisfy(m -> assertThat(m)
                .contains("apilb.discovery.mode").contains("static, endpointslice"))
            .anySatisfy(m -> assertThat(m).contains("namespace/name"))
            .anySatisfy(m -> assertThat(m).contains("not both"))
            .anySatisfy(m -> assertThat(m).contains("apilb.metrics.max-resources")));
    assertThat(List.of(DiscoveryMode.values())).hasSize(2);
  }
}
