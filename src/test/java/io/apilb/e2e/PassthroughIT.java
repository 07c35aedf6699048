package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.sim.FrontProxyAuth;
import io.apilb.sim.RecordedRequest;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.ControlPlaneFixture.ProcessResult;
import io.apilb.testing.RawTls;
import io.apilb.testing.RawTls.Offer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * TLS passthrough by server name: the client's TLS session ends at an apiserver, which sees the
 * client's own certificate; other names are still terminated by apilb.
 */
class PassthroughIT {
  /** The simulated apiservers' certificates carry DNS:localhost, so clients can verify them under that name. */
  private static final String PASSTHROUGH = "apilb.passthrough.server-names = [\"localhost\"]";

  ControlPlaneFixture cp;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void opensslWithThePassthroughNameSeesTheBackendsCertificate() throws Exception {
    Assumptions.assumeTrue(ListenerTlsIT.opensslAvailable(), "openssl is not installed");
    cp = ControlPlaneFixture.start(2, PASSTHROUGH);
    String through = ListenerTlsIT.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + cp.port(),
        "-servername", "localhost"));
    assertThat(through).contains("subject=CN = kube-apiserver");
    String terminated = ListenerTlsIT.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + cp.port(),
        "-servername", "api.example.test"));
    assertThat(terminated).contains("subject=CN = apilb");
  }

  @Test
  void kubectlWithAClientCertificateAuthenticatesToTheApiserverItself() throws Exception {
    Assumptions.assumeTrue(ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    cp = ControlPlaneFixture.startWithClientCertificates(2, PASSTHROUGH);
    Issued alice = cp.issueClient("alice", "developers");
    Path kubeconfig = cp.dir.resolve("alice-passthrough");
    cp.writeCertKubeconfig(kubeconfig, alice);
    // the same kubeconfig, addressed by the passthrough name (kubectl sends it as SNI and verifies it)
    java.nio.file.Files.writeString(kubeconfig, java.nio.file.Files.readString(kubeconfig)
        .replace("https://127.0.0.1:", "https://localhost:"));

    ProcessResult get = cp.kubectlWith(kubeconfig, "get", "configmaps", "-n", "default");
    assertThat(get.ok()).as(get.stderr()).isTrue();

    RecordedRequest seen = cp.backends.stream().flatMap(b -> b.requests().stream())
        .filter(r -> r.path().equals("/api/v1/namespaces/default/configmaps")).findFirst().orElseThrow();
    assertThat(seen.clientCertificate()).isPresent(); // the client's own, not apilb's front-proxy certificate
    assertThat(seen.user()).hasValueSatisfying(u -> {
      assertThat(u.name()).isEqualTo("alice");
      assertThat(u.method()).isEqualTo(FrontProxyAuth.Method.X509);
    });
    assertThat(seen.headerNamesStartingWith("X-Remote-")).isEmpty();
    assertThat(seen.header("X-Forwarded-For")).isEmpty(); // apilb never saw the HTTP request
  }

  @Test
  void drainedBackendsGetNoPassthroughConnectionsAndOpenOnesCountAsLongRunning() throws Exception {
    cp = ControlPlaneFixture.start(2, PASSTHROUGH);
    HttpClient admin = HttpClient.newHttpClient();
    HttpResponse<String> drain = admin.send(HttpRequest.newBuilder(cp.adminUri("/backends/cp1/drain"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(drain.statusCode()).isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      try (SSLSocket tls = RawTls.handshake(RawTls.connect(cp.port(), new byte[0]), Offer.sni("localhost"))) {
        assertThat(RawTls.get(tls, "/version?passthrough=" + i)).startsWith("HTTP/1.1 200");
      }
    }
    assertThat(cp.backend("cp1").requestCount(r -> r.uri().startsWith("/version?passthrough"))).isZero();
    assertThat(cp.backend("cp2").requestCount(r -> r.uri().startsWith("/version?passthrough"))).isEqualTo(4);

    try (SSLSocket open = RawTls.handshake(RawTls.connect(cp.port(), new byte[0]), Offer.sni("localhost"))) {
      await().atMost(Duration.ofSeconds(5)).until(() -> longRunning("cp2") == 1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> longRunning("cp2") == 0);
    assertThat(cp.apilb.metrics().registry().getCounters().keySet()).anyMatch(k -> k.contains("passthrough"));
  }

  private int longRunning(String backend) {
    return cp.apilb.backends().snapshot().byName(backend).orElseThrow().stats().activeLongRunning();
  }

}
