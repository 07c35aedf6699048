package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.testing.RecordingBackend;
import io.apilb.tls.TlsContexts;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** New connections, against a real TLS backend: a connect whose request gave up is not wasted. */
class BackendPoolConnectTest {
  private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoop loop = group.next();
  private RecordingBackend server;
  private BackendPool pool;
  private BackendEntry entry;

  @BeforeEach
  void start() throws Exception {
    Issued ca = CertificateIssuer.selfSignedCa("pool-ca", Duration.ofDays(1));
    Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("kube-apiserver", List.of("localhost"),
        List.of("127.0.0.1"), Duration.ofDays(1)));
    server = new RecordingBackend(cert.keyMaterial());
    Backend b = new Backend("cp1", "127.0.0.1", server.port(), Optional.empty());
    entry = new BackendEntry(b, BackendState.initial(Instant.EPOCH), new BackendStats());
    PoolSettings settings = new PoolSettings(Duration.ofSeconds(3), Duration.ofSeconds(60), 8, 32768, Duration.ZERO);
    pool = new BackendPool(loop, b, () -> settings, TlsContexts.backendClient(List.of(ca.certificate()),
        Optional.empty()), NioSocketChannel.class, DefaultAddressResolverGroup.INSTANCE);
  }

  @AfterEach
  void stop() throws Exception {
    loop.submit(pool::close).get(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    server.close();
  }

  private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }

  @Test
  void aConnectWhoseRequestGaveUpServesTheNextRequestInsteadOfASecondConnect() throws Exception {
    AtomicReference<Future<BackendAttempt>> second = new AtomicReference<>();
    onLoop(() -> {
      Future<BackendAttempt> first = pool.acquire(entry);
      first.cancel(false); // the client reset its stream while apilb was connecting
      second.set(pool.acquire(entry));
      return null;
    });
    BackendAttempt attempt = second.get().get(5, TimeUnit.SECONDS);
    assertThat(attempt.backend()).isSameAs(entry);
    onLoop(() -> {
      attempt.release();
      return null;
    });
    // TLS 1.3: the server's side of the handshake completes after the client's (on the client's
    // Finished), so its count may lag the attempt by a moment; a second connect would show by then
    await().atMost(Duration.ofSeconds(5)).until(() -> server.handshakes() >= 1);
    Thread.sleep(200);
    assertThat(server.handshakes()).isEqualTo(1);
  }

  @Test
  void aConnectNobodyClaimsIdlesInThePoolForTheNextRequest() throws Exception {
    onLoop(() -> pool.acquire(entry).cancel(false));
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 1 && server.handshakes() == 1);
    Thread.sleep(100); // the handshake completes on apilb's side too, and the connection is pooled
    Future<BackendAttempt> next = onLoop(() -> pool.acquire(entry));
    assertThat(next.isSuccess()).as("served from the pool at once").isTrue();
    onLoop(() -> {
      next.getNow().release();
      return null;
    });
    assertThat(server.handshakes()).isEqualTo(1);
  }

  @Test
  void aFailedConnectFailsItsClaimant() throws Exception {
    server.close();
    AtomicReference<Future<BackendAttempt>> second = new AtomicReference<>();
    onLoop(() -> {
      pool.acquire(entry).cancel(false);
      second.set(pool.acquire(entry));
      return null;
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> second.get().isDone());
    assertThat(second.get().cause()).isInstanceOf(BackendConnectException.class);
  }
}
