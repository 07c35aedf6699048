package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.apilb.admin.AdminAccess;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.tls.PemFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The admin port's protection: a bearer token for mutating endpoints, HTTPS, and no open drain beyond loopback. */
class AdminAccessIT {
  @TempDir Path dir;
  ControlPlaneFixture cp;
  HttpClient client = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void drainWithoutTheTokenIs403AndWithIt200OverHttps() throws Exception {
    Issued ca = CertificateIssuer.selfSignedCa("admin-ca", Duration.ofDays(1));
    Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("apilb-admin", List.of("localhost"), List.of("127.0.0.1"),
        Duration.ofDays(1)));
    PemFiles.writeCertificates(dir.resolve("admin.crt"), cert.certificate());
    PemFiles.writePrivateKey(dir.resolve("admin.key"), cert.privateKey());
    Path token = dir.resolve("token");
    Files.writeString(token, "s3cret-admin-token\n");
    cp = ControlPlaneFixture.start(2, """
        apilb.certificate-reload-interval = 200ms
        apilb.admin { token-file = "%1$s/token", tls { cert-file = "%1$s/admin.crt", key-file = "%1$s/admin.key" } }
        """.formatted(dir));
    client = HttpClient.newBuilder().sslContext(trusting(ca)).build();

    assertThat(post("/backends/cp1/drain", null).statusCode()).isEqualTo(403);
    assertThat(post("/backends/cp1/drain", "wrong-token").statusCode()).isEqualTo(403);
    assertThat(cp.apilb.backends().snapshot().byName("cp1").orElseThrow().ready()).isTrue();
    HttpResponse<String> drained = post("/backends/cp1/drain", "s3cret-admin-token");
    assertThat(drained.statusCode()).isEqualTo(200);
    assertThat(drained.body()).contains("disabled_by_operator");

    assertThat(get("/backends", null).statusCode()).isEqualTo(403); // with a token, reads need it too
    assertThat(get("/metrics", "s3cret-admin-token").statusCode()).isEqualTo(200);
    assertThat(get("/livez", null).statusCode()).isEqualTo(200); // probes carry no token
    assertThat(get("/readyz", null).statusCode()).isEqualTo(200);

    Files.writeString(token, "rotated-token");
    await().atMost(Duration.ofSeconds(10)).until(() -> post("/backends/cp1/undrain", "rotated-token").statusCode() == 200);
    assertThat(post("/backends/cp1/undrain", "s3cret-admin-token").statusCode()).isEqualTo(403);
  }

  @Test
  void beyondLoopbackWithoutATokenDrainIs403ReadsStayOpenAndStartUpSaysWhy() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(AdminAccess.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      cp = ControlPlaneFixture.start(1, "apilb.admin.address = \"0.0.0.0\"");
    } finally {
      logger.detachAppender(logs);
    }
    assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
        .contains("beyond loopback").contains("apilb.admin.token-file").contains("403"));
    HttpResponse<String> drain = post("/backends/cp1/drain", null);
    assertThat(drain.statusCode()).isEqualTo(403);
    assertThat(drain.body()).contains("apilb.admin.token-file");
    assertThat(get("/backends", null).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", null).statusCode()).isEqualTo(200);
  }

  @Test
  void onLoopbackWithoutATokenDrainStaysOpen() throws Exception {
    cp = ControlPlaneFixture.start(1);
    assertThat(post("/backends/cp1/drain", null).statusCode()).isEqualTo(200);
  }

  private URI uri(String path) {
    String scheme = cp.apilb.config().admin().tls() ? "https" : "http";
    return URI.create(scheme + "://127.0.0.1:" + cp.apilb.adminAddress().getPort() + path);
  }

  private HttpResponse<String> post(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SSLContext trusting(Issued ca) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
