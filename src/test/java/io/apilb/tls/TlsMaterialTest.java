package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up loading: kubeadm derivation, auto mode, and errors naming the missing file. */
class TlsMaterialTest {
  @TempDir Path dir;
  Path pki;

  @BeforeEach
  void files() throws Exception {
    pki = Files.createDirectories(dir.resolve("pki"));
    Issued ca = CertificateIssuer.selfSignedCa("ca", Duration.ofDays(1));
    PemFiles.writeCertificates(pki.resolve("ca.crt"), ca.certificate());
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb", List.of("localhost"), List.of(), Duration.ofDays(1)));
    PemFiles.writeCertificates(dir.resolve("apilb.crt"), serving.certificate());
    PemFiles.writePrivateKey(dir.resolve("apilb.key"), serving.privateKey());
  }

  private String conf(String extra) {
    return """
        apilb {
          pki-dir = "%s"
          listener.tls { cert-file = "%s/apilb.crt", key-file = "%s/apilb.key" }
          backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
          %s
        }
        """.formatted(pki, dir, dir, extra);
  }

  @Test
  void autoWithTheClusterCaButNoFrontProxyCertificateIsAnErrorNamingTheFile() throws Exception {
    assertThatThrownBy(() -> TlsMaterial.load(ConfigLoader.parse(conf(""), "t")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("apilb.backend-tls.proxy-client-cert-file")
        .hasMessageContaining(pki.resolve("front-proxy-client.crt").toString());
  }

  @Test
  void autoWithoutTheClusterCaTurnsClientCertificatesOff() throws Exception {
    Files.move(pki.resolve("ca.crt"), dir.resolve("backend-ca.crt"));

    TlsMaterial m = TlsMaterial.load(ConfigLoader.parse(conf("backend-tls.ca-file = \"" + dir + "/backend-ca.crt\""), "t"));

    assertThat(m.clientCertificates()).isFalse();
    assertThat(m.proxyClient()).isEmpty();
  }

  @Test
  void noneNeedsNoFrontProxyCertificate() throws Exception {
    TlsMaterial m = TlsMaterial.load(ConfigLoader.parse(conf("listener.tls.client-auth = none"), "t"));

    assertThat(m.clientCertificates()).isFalse();
    assertThat(m.backendCa()).hasSize(1);
  }

  @Test
  void anExplicitMissingClientCaIsAnError() throws Exception {
    assertThatThrownBy(() -> TlsMaterial.load(ConfigLoader.parse(
        conf("listener.tls.client-ca-file = \"" + dir + "/nope.crt\""), "t")))
        .hasMessageContaining("apilb.listener.tls.client-ca-file")
        .hasMessageContaining(dir.resolve("nope.crt") + ": no such file");
  }
}
