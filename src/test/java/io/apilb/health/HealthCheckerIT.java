package io.apilb.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.config.HealthConfig;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.tls.TlsContexts;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthCheckerIT {
  private static final Duration INTERVAL = Duration.ofMillis(100);

  private EventLoopGroup group;
  private ScheduledExecutorService control;
  private FakeReadyzServer server;
  private ReadyzProbe probe;
  private MetricRegistry registry;
  private BackendSet backends;
  private HealthChecker checker;

  @BeforeEach
  void setUp() throws Exception {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    control = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "apilb-control"));
    server = new FakeReadyzServer(group).start();
    registry = new MetricRegistry();
  }

  private void startChecker(int rise, int fall, Backend... members) throws Exception {
    HealthConfig config = new HealthConfig("/readyz", INTERVAL, Duration.ofMillis(300), rise, fall, 0.2);
    probe = new ReadyzProbe(config, group, NioSocketChannel.class,
        TlsContexts.backendClient(List.of(server.ca.certificate()), Optional.empty()));
    backends = new BackendSet(List.of(members), Clock.systemUTC());
    checker = new HealthChecker(config, backends, probe, new ApilbMetrics(registry), control, new Random(42));
    checker.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (checker != null) {
      checker.close();
    }
    control.submit(() -> { }).get(5, TimeUnit.SECONDS); // close() runs on the control thread
    control.shutdownNow();
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private Backend cp(String name) {
    return new Backend(name, "127.0.0.1", server.port(), Optional.empty());
  }

  private BackendEntry entry(String name) {
    return backends.snapshot().byName(name).orElseThrow();
  }

  private long probes(String backend, String result) {
    return registry.counter(MetricRegistry.name(MetricNames.BACKEND_PROBES, backend, result)).getCount();
  }

  @Test
  void backendBecomesReadyWithinRiseIntervals() throws Exception {
    startChecker(2, 3, cp("cp1"));
    assertThat(entry("cp1").state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("ok");
    assertThat(entry("cp1").state().lastProbeAt()).isAfter(java.time.Instant.EPOCH);
    assertThat(probes("cp1", "ok")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void backendLeavesAfterFallFailuresAndReturnsAfterRise() throws Exception {
    startChecker(2, 3, cp("cp1"));
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    server.mode(FakeReadyzServer.Mode.FAILING);
    await().atMost(Duration.ofSeconds(3))
        .until(() -> entry("cp1").state().flags().contains(HealthFlag.FAILED_PROBE));
    assertThat(entry("cp1").state().flags()).doesNotContain(HealthFlag.DRAINING);
    assertThat(entry("cp1").state().reason()).contains("HTTP 500 [-]etcd").contains("3 consecutive failures");
    assertThat(probes("cp1", "status")).isGreaterThanOrEqualTo(3);

    server.mode(FakeReadyzServer.Mode.READY);
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    assertThat(entry("cp1").state().reason()).contains("2 consecutive successes");
  }

  @Test
  void shutdownDrainsAtOnceWithoutFallCounting() throws Exception {
    startChecker(2, 1000, cp("cp1"));
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    long before = probes("cp1", "status");
    server.mode(FakeReadyzServer.Mode.SHUTTING_DOWN);
    await().atMost(Duration.ofSeconds(2))
        .until(() -> entry("cp1").state().flags().contains(HealthFlag.DRAINING));
    assertThat(entry("cp1").state().flags()).containsExactly(HealthFlag.DRAINING);
    assertThat(entry("cp1").state().reason()).isEqualTo("probe: HTTP 500 [-]shutdown");
    // Drained on the first failing probe (the counter is incremented before the state changes).
    assertThat(probes("cp1", "status") - before).isBetween(1L, 2L);

    server.mode(FakeReadyzServer.Mode.READY);
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
  }

  @Test
  void refusedConnectionsFailTheBackend() throws Exception {
    startChecker(1, 2, cp("cp1"));
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    server.stopListening();
    await().atMost(Duration.ofSeconds(3))
        .until(() -> entry("cp1").state().flags().contains(HealthFlag.FAILED_PROBE));
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("connect refused");
    assertThat(probes("cp1", "connect")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void followsMembershipChanges() throws Exception {
    startChecker(1, 1, cp("cp1"));
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp1").ready());
    control.submit(() -> backends.replaceMembers(List.of(cp("cp2")))).get();
    await().atMost(Duration.ofSeconds(2)).until(() -> entry("cp2").ready());
    long cp1Probes = probes("cp1", "ok");
    Thread.sleep(INTERVAL.toMillis() * 4);
    assertThat(probes("cp1", "ok")).isEqualTo(cp1Probes);
    assertThat(backends.snapshot().byName("cp1")).isEmpty();
  }

  @Test
  void probesOfSeveralBackendsShareNothingButReuseTheirConnections() throws Exception {
    startChecker(1, 1, cp("cp1"), cp("cp2"), cp("cp3"));
    await().atMost(Duration.ofSeconds(2)).until(() -> backends.snapshot().ready().size() == 3);
    await().atMost(Duration.ofSeconds(3)).until(() -> probes("cp1", "ok") >= 5 && probes("cp3", "ok") >= 5);
    assertThat(server.connections()).isEqualTo(3);
  }
}
