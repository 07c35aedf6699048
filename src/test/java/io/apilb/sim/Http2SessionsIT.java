package io.apilb.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.pki.CertificateIssuer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulated apiserver's HTTP/2: kube-apiserver 1.28+'s unauthenticated GOAWAY, and its counts. */
class Http2SessionsIT {
  private final CertificateIssuer.Issued ca = CertificateIssuer.selfSignedCa("sim-ca", Duration.ofDays(1));
  private SimulatedApiserver sim;

  private SimulatedApiserver start(boolean mitigation) {
    sim = SimulatedApiserver.builder("h2", new SimulatedCluster())
        .keyMaterial(CertificateIssuer.issue(ca, CertificateIssuer.LeafSpec.server("kube-apiserver",
            List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))).keyMaterial())
        .http2(true).unauthenticatedHttp2Close(mitigation).build().start();
    return sim;
  }

  @AfterEach
  void stop() {
    if (sim != null) {
      sim.close();
    }
  }

  private HttpClient client() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(ssl).build();
  }

  private HttpResponse<String> get(HttpClient c, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + sim.port()
        + "/api/v1/namespaces/default/configmaps"));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** JDK 17's HTTP/2 client fails even the streams a GOAWAY lets finish; Go's (client-go's) does not. */
  private void getDespiteGoAway(HttpClient c, String token) throws Exception {
    try {
      get(c, token);
    } catch (java.io.IOException e) {
      assertThat(e).hasMessageContaining("GOAWAY");
    }
  }

  @Test
  void anAnonymousRequestRetiresItsConnection() throws Exception {
    start(true);
    HttpClient c = client();
    assertThat(get(c, "good").statusCode()).isEqualTo(200);
    assertThat(sim.http2Sessions().connections()).isEqualTo(1);
    assertThat(sim.http2Sessions().retiredForUnauthenticated()).isZero();
    getDespiteGoAway(c, null);
    assertThat(sim.http2Sessions().retiredForUnauthenticated()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> sim.http2Sessions().connections() == 0);
  }

  @Test
  void aRejectedTokenGets401AndRetiresItsConnection() throws Exception {
    start(true);
    sim.http2Sessions().rejectTokens("expired");
    getDespiteGoAway(client(), "expired");
    assertThat(sim.requestCount(r -> true)).isEqualTo(1);
    assertThat(sim.http2Sessions().retiredForUnauthenticated()).isEqualTo(1);
  }

  @Test
  void withTheMitigationOffConnectionsStay() throws Exception {
    start(false);
    HttpClient c = client();
    get(c, null);
    get(c, null);
    assertThat(sim.http2Sessions().retiredForUnauthenticated()).isZero();
    assertThat(sim.http2Sessions().connections()).isEqualTo(1);
    assertThat(sim.http2Sessions().streamsPerConnection()).containsExactly(2);
  }

  @Test
  void countsOpenStreamsPerConnection() throws Exception {
    start(true);
    HttpClient c = client();
    get(c, "good");
    List<InputStream> watches = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      watches.add(c.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + sim.port()
          + "/api/v1/namespaces/default/configmaps?watch=true")).header("Authorization", "Bearer good").build(),
          HttpResponse.BodyHandlers.ofInputStream()).body());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> sim.http2Sessions().openStreamsPerConnection().equals(List.of(5)));
    assertThat(sim.http2Sessions().maxConcurrentStreams()).isEqualTo(250);
    for (InputStream w : watches) {
      w.close();
    }
  }
}
