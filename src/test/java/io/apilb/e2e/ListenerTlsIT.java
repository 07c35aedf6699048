package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.apilb.cli.ApilbRuntime;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.RawTls;
import io.apilb.testing.RawTls.Offer;
import io.apilb.tls.PemFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener's TLS policy and its certificates chosen by SNI, seen from real TLS clients. */
class ListenerTlsIT {
  private static final String GCM_128 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
  private static final String GCM_256 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
  private static final String CBC = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256";

  @TempDir Path dir;
  ControlPlaneFixture cp;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void aCipherSuiteOutsideThePolicyIsRefusedAndOneInsideIsAccepted() throws Exception {
    cp = ControlPlaneFixture.start(1, "apilb.listener.tls.cipher-suites = [\"" + GCM_256 + "\"]");
    Offer excluded = new Offer(null, List.of("TLSv1.2"), List.of(GCM_128, CBC));
    assertThatThrownBy(() -> RawTls.serverCertificate(cp.port(), excluded)).isInstanceOf(SSLException.class);
    Offer allowed = new Offer(null, List.of("TLSv1.2"), List.of(GCM_256));
    assertThat(RawTls.serverCertificate(cp.port(), allowed)).isNotNull();
    // TLS 1.3 stays on with a list of TLS 1.2 suites
    assertThat(RawTls.serverCertificate(cp.port(), new Offer(null, List.of("TLSv1.3"), null))).isNotNull();
  }

  @Test
  void theDefaultPolicyRefusesCbcSuitesAndMinVersion13RefusesTls12() throws Exception {
    cp = ControlPlaneFixture.start(1, "apilb.listener.tls.min-version = \"TLSv1.3\"");
    assertThatThrownBy(() -> RawTls.serverCertificate(cp.port(), new Offer(null, List.of("TLSv1.2"), List.of(GCM_128))))
        .isInstanceOf(SSLException.class);
    assertThat(RawTls.serverCertificate(cp.port(), new Offer(null, List.of("TLSv1.3"), null))).isNotNull();
  }

  @Test
  void tls11IsRefusedWhileTls12IsServed() throws Exception {
    Assumptions.assumeTrue(opensslAvailable(), "openssl is not installed");
    cp = ControlPlaneFixture.start(1);
    assertThat(sClient("-tls1_2")).contains("Protocol  : TLSv1.2").contains("Cipher    : ECDHE-ECDSA-AES");
    assertThat(sClient("-tls1_1")).contains("alert protocol version").contains("no peer certificate available");
    // the default policy has no CBC suite
    assertThat(sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256")).contains("alert handshake failure")
        .contains("no peer certificate available");
  }

  @Test
  void twoServerNamesGetTheirOwnCertificatesAndAThirdGetsTheDefault() throws Exception {
    Issued ca = CertificateIssuer.selfSignedCa("sni-test-ca", Duration.ofDays(1));
    Path one = write("one", CertificateIssuer.issue(ca, LeafSpec.server("one", List.of("one.example.test"), List.of(),
        Duration.ofDays(1))));
    Path two = write("two", CertificateIssuer.issue(ca, LeafSpec.server("two", List.of("*.two.example.test"),
        List.of(), Duration.ofDays(1))));
    cp = ControlPlaneFixture.start(1, """
        apilb.certificate-reload-interval = 200ms
        apilb.listener.tls.sni = [
          { server-names = ["one.example.test"], cert-file = "%1$s.crt", key-file = "%1$s.key" }
          { server-names = ["*.two.example.test", "two.example.test"], cert-file = "%2$s.crt", key-file = "%2$s.key" }
        ]
        """.formatted(one, two));

    assertThat(cn(Offer.sni("one.example.test"))).isEqualTo("CN=one");
    assertThat(cn(Offer.sni("api.two.example.test"))).isEqualTo("CN=two");
    assertThat(cn(Offer.sni("TWO.example.test"))).isEqualTo("CN=two");
    assertThat(cn(Offer.sni("three.example.test"))).isEqualTo("CN=apilb");
    assertThat(cn(new Offer(null, null, null))).isEqualTo("CN=apilb");
    // requests are served over an SNI certificate like over the default one
    try (var tls = RawTls.handshake(RawTls.connect(cp.port(), new byte[0]), Offer.sni("one.example.test"))) {
      assertThat(RawTls.get(tls, "/version")).startsWith("HTTP/1.1 200");
    }

    write("one", CertificateIssuer.issue(ca, LeafSpec.server("one-rotated", List.of("one.example.test"), List.of(),
        Duration.ofDays(1))));
    await().atMost(Duration.ofSeconds(10)).until(() -> cn(Offer.sni("one.example.test")).equals("CN=one-rotated"));
    assertThat(cn(Offer.sni("api.two.example.test"))).isEqualTo("CN=two");
  }

  @Test
  void anUnknownCipherSuiteIsAConfigurationErrorNamingTheKeyAndTheFile() throws Exception {
    cp = ControlPlaneFixture.start(1);
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, Files.readString(cp.dir.resolve("apilb.conf"))
        + "\napilb.backend-tls.cipher-suites = [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\", \"TLS_NO_SUCH_SUITE_SHA256\"]\n");
    assertThatThrownBy(() -> ApilbRuntime.validateMaterial(ConfigLoader.load(conf)))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).singleElement().satisfies(err -> {
          assertThat(err.path()).isEqualTo("apilb.backend-tls.cipher-suites[1]");
          assertThat(err.file()).isEqualTo(conf.toString());
          assertThat(err.message()).contains("TLS_NO_SUCH_SUITE_SHA256");
        }));
  }

  private String cn(Offer offer) throws Exception {
    X509Certificate cert = RawTls.serverCertificate(cp.port(), offer);
    return cert.getSubjectX500Principal().getName();
  }

  private Path write(String name, Issued issued) throws Exception {
    Path base = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp");
    Files.writeString(tmp, PemFiles.toPem(issued.certificate()));
    PemFiles.writePrivateKey(dir.resolve(name + ".key"), issued.privateKey());
    Files.move(tmp, dir.resolve(name + ".crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return base;
  }

  static boolean opensslAvailable() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /** {@code openssl s_client} against apilb with {@code args}, security level 0 so that old protocols are offered. */
  private String sClient(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + cp.port(),
        "-showcerts"));
    cmd.addAll(List.of(args));
    if (!List.of(args).contains("-cipher")) {
      cmd.addAll(List.of("-cipher", "DEFAULT@SECLEVEL=0"));
    }
    return run(cmd);
  }

  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close(); // s_client ends at end of input
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return out;
  }
}
