package io.apilb.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.config.HealthConfig;
import io.apilb.health.ProbeResult.Outcome;
import io.apilb.pki.CertificateIssuer;
import io.apilb.tls.TlsContexts;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslContext;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReadyzProbeIT {
  private static final HealthConfig CONFIG =
      new HealthConfig("/readyz", Duration.ofMillis(200), Duration.ofMillis(500), 2, 3, 0.1);

  private EventLoopGroup group;
  private FakeReadyzServer server;
  private ReadyzProbe probe;
  private Backend backend;

  @BeforeEach
  void setUp() throws Exception {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    server = new FakeReadyzServer(group).start();
    probe = newProbe(server.ca);
    backend = new Backend("cp1", "127.0.0.1", server.port(), Optional.empty());
  }

  @AfterEach
  void tearDown() throws Exception {
    probe.close();
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private ReadyzProbe newProbe(CertificateIssuer.Issued trusted) throws Exception {
    SslContext ctx = TlsContexts.backendClient(List.of(trusted.certificate()), Optional.empty());
    return new ReadyzProbe(CONFIG, group, NioSocketChannel.class, ctx);
  }

  private ProbeResult probeOnce() throws Exception {
    return probe.probe(backend).get(5, TimeUnit.SECONDS);
  }

  @Test
  void readyBackendIsOkAndRequestIsAnHttp11VerboseGet() throws Exception {
    ProbeResult r = probeOnce();
    assertThat(r.outcome()).isEqualTo(Outcome.OK);
    assertThat(r.summary()).isEqualTo("ok");
    assertThat(r.metricTag()).isEqualTo("ok");
    HttpRequest req = server.requests.get(0);
    assertThat(req.uri()).isEqualTo("/readyz?verbose");
    assertThat(req.protocolVersion().text()).isEqualTo("HTTP/1.1");
    assertThat(req.headers().get(HttpHeaderNames.USER_AGENT)).isEqualTo("apilb-probe");
    assertThat(req.headers().get(HttpHeaderNames.ACCEPT)).isEqualTo("*/*");
    assertThat(req.headers().get(HttpHeaderNames.HOST)).isEqualTo("127.0.0.1:" + server.port());
  }

  @Test
  void reusesOneTlsConnectionAcrossProbes() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(probeOnce().ok()).isTrue();
    }
    server.mode(FakeReadyzServer.Mode.FAILING);
    assertThat(probeOnce().outcome()).isEqualTo(Outcome.HTTP_STATUS);
    assertThat(server.connections()).isEqualTo(1);
    assertThat(probe.connectionsOpened(backend)).isEqualTo(1);
  }

  @Test
  void reconnectsWhenTheKeptConnectionWasClosed() throws Exception {
    assertThat(probeOnce().ok()).isTrue();
    server.dropConnections();
    Thread.sleep(100); // let the close reach the probe (it retries once if it does not)
    assertThat(probeOnce().ok()).isTrue();
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void failingReadyzReportsStatusAndFailedChecks() throws Exception {
    server.mode(FakeReadyzServer.Mode.FAILING);
    ProbeResult r = probeOnce();
    assertThat(r.outcome()).isEqualTo(Outcome.HTTP_STATUS);
    assertThat(r.status()).isEqualTo(500);
    assertThat(r.failedChecks()).containsExactly("etcd");
    assertThat(r.summary()).isEqualTo("HTTP 500 [-]etcd");
    assertThat(r.shuttingDown()).isFalse();

    server.mode(FakeReadyzServer.Mode.SHUTTING_DOWN);
    r = probeOnce();
    assertThat(r.summary()).isEqualTo("HTTP 500 [-]shutdown");
    assertThat(r.shuttingDown()).isTrue();
  }

  @Test
  void stalledBackendTimesOutAndTheConnectionIsClosed() throws Exception {
    server.mode(FakeReadyzServer.Mode.STALL);
    long start = System.nanoTime();
    ProbeResult r = probeOnce();
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
    assertThat(r.summary()).isEqualTo("timeout after 500ms");
    assertThat(r.metricTag()).isEqualTo("timeout");
    assertThat(tookMs).isBetween(400L, 3000L);

    server.mode(FakeReadyzServer.Mode.READY);
    assertThat(probeOnce().ok()).isTrue();
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void refusedConnectionIsClassified() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Backend closed = new Backend("gone", "127.0.0.1", port, Optional.empty());
    ProbeResult r = probe.probe(closed).get(5, TimeUnit.SECONDS);
    assertThat(r.outcome()).isEqualTo(Outcome.CONNECT_FAILED);
    assertThat(r.summary()).isEqualTo("connect refused");
    assertThat(r.metricTag()).isEqualTo("connect");
  }

  @Test
  void untrustedServerCertificateIsTlsFailure() throws Exception {
    probe.close();
    probe = newProbe(CertificateIssuer.selfSignedCa("some-other-ca", Duration.ofDays(1)));
    ProbeResult r = probeOnce();
    assertThat(r.outcome()).isEqualTo(Outcome.TLS_FAILED);
    assertThat(r.summary()).startsWith("tls: ");
    assertThat(r.metricTag()).isEqualTo("tls");
  }

  @Test
  void wrongServerNameIsTlsFailure() throws Exception {
    Backend misnamed = new Backend("cp1", "127.0.0.1", server.port(), Optional.of("not-the-apiserver"));
    ProbeResult r = probe.probe(misnamed).get(5, TimeUnit.SECONDS);
    assertThat(r.outcome()).isEqualTo(Outcome.TLS_FAILED);
  }

  @Test
  void probeAfterCloseCompletes() throws Exception {
    assertThat(probeOnce().ok()).isTrue();
    probe.close();
    assertThat(probe.probe(backend).get(5, TimeUnit.SECONDS)).isNotNull();
  }
}
