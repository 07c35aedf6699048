package io.apilb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The edge options: TLS policy, SNI certificates, PROXY protocol, passthrough and the admin port's protection. */
class EdgeConfigTest {
  private static final String MINIMAL = """
      apilb {
        listener.tls { cert-file = "/etc/apilb/apilb.crt", key-file = "/etc/apilb/apilb.key" }
        backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
      }
      """;

  @Test
  void defaultsAreTls12WithModernSuitesNoSniNoProxyProtocolNoPassthroughAndAnOpenLoopbackAdmin() throws Exception {
    ApilbConfig c = ConfigLoader.parse(MINIMAL, "test");
    assertThat(c.listener().tlsPolicy().minVersion()).isEqualTo(TlsVersion.TLS_1_2);
    assertThat(c.listener().tlsPolicy().cipherSuites()).hasSize(6).allMatch(s -> s.contains("GCM") || s.contains("CHACHA"));
    assertThat(c.backendTls().tlsPolicy().cipherSuites()).isEqualTo(c.listener().tlsPolicy().cipherSuites());
    assertThat(c.listener().sni()).isEmpty();
    assertThat(c.listener().proxyProtocol().mode()).isEqualTo(ProxyProtocolMode.OFF);
    assertThat(c.passthrough().enabled()).isFalse();
    assertThat(c.admin().tokenFile()).isEmpty();
    assertThat(c.admin().tls()).isFalse();
  }

  @Test
  void readsEveryEdgeKey() throws Exception {
    ApilbConfig c = ConfigLoader.parse(MINIMAL + """
        apilb.listener.tls {
          min-version = "TLSv1.3"
          cipher-suites = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
          sni = [ { server-names = ["API.example.com", "*.api.example.com"], cert-file = "/p/a.crt", key-file = "/p/a.key" } ]
        }
        apilb.listener.proxy-protocol { mode = optional, trusted-sources = ["10.0.0.0/8", "fd00::1"], header-timeout = 2s }
        apilb.backend-tls.min-version = "1.3"
        apilb.passthrough.server-names = ["direct.example.com"]
        apilb.admin { token-file = "/p/token", tls { cert-file = "/p/admin.crt", key-file = "/p/admin.key" } }
        """, "test");
    assertThat(c.listener().tlsPolicy()).isEqualTo(new TlsPolicy(TlsVersion.TLS_1_3,
        List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), "apilb.listener.tls"));
    SniCertificate sni = c.listener().sni().get(0);
    assertThat(sni.serverNames().matches("api.example.com")).isTrue();
    assertThat(sni.serverNames().matches("x.api.example.com")).isTrue();
    assertThat(sni.serverNames().matches("x.y.api.example.com")).isFalse();
    assertThat(sni.certFile()).isEqualTo(Path.of("/p/a.crt"));
    ProxyProtocolConfig pp = c.listener().proxyProtocol();
    assertThat(pp.mode()).isEqualTo(ProxyProtocolMode.OPTIONAL);
    assertThat(pp.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(pp.trusts(InetAddress.getByName("10.1.2.3"))).isTrue();
    assertThat(pp.trusts(InetAddress.getByName("11.1.2.3"))).isFalse();
    assertThat(pp.trusts(InetAddress.getByName("fd00::1"))).isTrue();
    assertThat(pp.trusts(InetAddress.getByName("fd00::2"))).isFalse();
    assertThat(c.backendTls().tlsPolicy().minVersion()).isEqualTo(TlsVersion.TLS_1_3);
    assertThat(c.passthrough().serverNames().matches("Direct.Example.com")).isTrue();
    assertThat(c.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9445, Optional.of(Path.of("/p/token")),
        Optional.of(Path.of("/p/admin.crt")), Optional.of(Path.of("/p/admin.key"))));
  }

  @Test
  void reportsEveryEdgeMistakeWithItsKey() {
    assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL + """
        apilb.listener.tls {
          min-version = "TLSv1.1"
          cipher-suites = ["ECDHE-RSA-AES128-GCM-SHA256"]
          sni = [ { server-names = [], cert-file = "/p/a.crt", kye-file = "/p/a.key" } ]
        }
        apilb.listener.proxy-protocol { mode = on, trusted-sources = ["10.0.0.0/33", "lb.example.com"] }
        apilb.admin.tls.cert-file = "/p/admin.crt"
        """, "edge.conf")).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
        .extracting(ConfigError::path).containsExactlyInAnyOrder(
            "apilb.listener.tls.min-version",
            "apilb.listener.tls.cipher-suites[0]",
            "apilb.listener.tls.sni[0].kye-file",
            "apilb.listener.tls.sni[0].server-names",
            "apilb.listener.tls.sni[0].key-file",
            "apilb.listener.proxy-protocol.trusted-sources[0]",
            "apilb.listener.proxy-protocol.trusted-sources[1]",
            "apilb.admin.tls.key-file"));
  }

  @Test
  void proxyProtocolNeedsTrustedSourcesAndAPassthroughNameCannotAlsoHaveACertificate() {
    assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL + "apilb.listener.proxy-protocol.mode = on", "edge.conf"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(ConfigError::path)
            .containsExactly("apilb.listener.proxy-protocol.trusted-sources"));
    assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL + """
        apilb.listener.tls.sni = [ { server-names = ["a.example.com"], cert-file = "/a.crt", key-file = "/a.key" } ]
        apilb.passthrough.server-names = ["a.example.com"]
        """, "edge.conf")).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
        .extracting(ConfigError::path)
        .containsExactly("apilb.passthrough.server-names"));
  }
}
