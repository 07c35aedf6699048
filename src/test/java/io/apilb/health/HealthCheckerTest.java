package io.apilb.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.config.HealthConfig;
import io.apilb.health.ProbeResult.Outcome;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.testing.ManualScheduledExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The checker's scheduling and bookkeeping on a virtual-time control executor, with a scripted
 * probe (HealthCheckerIT covers real probes against a readyz server).
 */
class HealthCheckerTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final ManualScheduledExecutor control = new ManualScheduledExecutor();
  private final MetricRegistry registry = new MetricRegistry();
  private final ScriptedProbe probe = new ScriptedProbe();
  private BackendSet backends;
  private HealthChecker checker;

  /** Answers with {@link #answer}; records every call with its virtual time. */
  private final class ScriptedProbe implements Probe {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Long> callMillis = new CopyOnWriteArrayList<>();
    final List<String> forgotten = new CopyOnWriteArrayList<>();
    volatile Function<Backend, CompletableFuture<ProbeResult>> answer =
        b -> CompletableFuture.completedFuture(ProbeResult.ok(200));
    volatile boolean closed;

    @Override
    public CompletableFuture<ProbeResult> probe(Backend backend) {
      calls.add(backend.name());
      callMillis.add(control.elapsed().toMillis());
      return answer.apply(backend);
    }

    @Override
    public void forget(Backend backend) {
      forgotten.add(backend.name());
    }

    @Override
    public void close() {
      closed = true;
    }

    List<Long> timesOf(String name) {
      List<Long> t = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        if (calls.get(i).equals(name)) {
          t.add(callMillis.get(i));
        }
      }
      return t;
    }
  }

  private static Backend backend(String name) {
    return new Backend(name, "10.0.0." + name.charAt(2), 6443, Optional.empty());
  }

  private void start(int rise, int fall, double jitter, String... members) {
    start(new HealthConfig("/readyz", INTERVAL, Duration.ofMillis(50), rise, fall, jitter), members);
  }

  private void start(HealthConfig config, String... members) {
    backends = new BackendSet(java.util.Arrays.stream(members).map(HealthCheckerTest::backend).toList(), control.clock());
    checker = new HealthChecker(config, backends, probe, new ApilbMetrics(registry), control, new Random(7));
    checker.start();
  }

  private BackendEntry entry(String name) {
    return backends.snapshot().byName(name).orElseThrow();
  }

  private long probes(String backend, String result) {
    return registry.counter(MetricRegistry.name(MetricNames.BACKEND_PROBES, backend, result)).getCount();
  }

  private void advance(long millis) {
    control.advance(Duration.ofMillis(millis));
  }

  /** Advances virtual time until {@code name} has been probed {@code n} times in all. */
  private void untilProbed(String name, int n) {
    for (int i = 0; i < 10_000 && probe.timesOf(name).size() < n; i++) {
      advance(10);
    }
    assertThat(probe.timesOf(name)).hasSize(n);
  }

  private static ProbeResult failing() {
    return ProbeResult.httpStatus(500, List.of("etcd"));
  }

  @Test
  void firstProbesComeWithinTheFirstProbeWindowThenFollowTheJitteredInterval() {
    start(2, 3, 0.2, "cp1", "cp2", "cp3");
    advance(20_000);

    for (String name : List.of("cp1", "cp2", "cp3")) {
      List<Long> times = probe.timesOf(name);
      assertThat(times).as(name).hasSizeGreaterThanOrEqualTo(16);
      assertThat(times.get(0)).as("first probe of %s", name).isBetween(0L, 249L);
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1)).as("gap %d of %s", i, name).isBetween(800L, 1200L);
      }
    }
  }

  @Test
  void nextDelayIsTheIntervalPlusOrMinusJitterClampedToHalf() {
    assertThat(delays(0.2)).containsExactly(800L, 1000L, 1199L);
    assertThat(delays(0.9)).containsExactly(500L, 1000L, 1499L);
    assertThat(delays(-1)).containsExactly(1000L, 1000L, 1000L);
    assertThat(delays(0)).containsExactly(1000L, 1000L, 1000L);
  }

  /** Next delays in milliseconds for random draws 0, 0.5 and just under 1. */
  private List<Long> delays(double jitter) {
    List<Long> out = new ArrayList<>();
    for (double draw : new double[] {0.0, 0.5, 0.9995}) {
      HealthChecker c = new HealthChecker(new HealthConfig("/readyz", INTERVAL, INTERVAL, 1, 1, jitter),
          new BackendSet(List.of(), control.clock()), probe, new ApilbMetrics(registry), control, fixed(draw));
      out.add(Duration.ofNanos(c.nextDelayNanos()).toMillis());
    }
    return out;
  }

  @Test
  void initialDelayIsSpreadOverTheFirstProbeWindowOrTheIntervalIfShorter() {
    // INTERVAL (1 s) is longer than the 250 ms window: the window bounds the spread
    assertThat(initialDelays(INTERVAL)).containsExactly(0L, 125L, 249L);
    // a shorter interval bounds it instead
    assertThat(initialDelays(Duration.ofMillis(100))).containsExactly(0L, 50L, 99L);
  }

  /** Initial delays in milliseconds for random draws 0, 0.5 and just under 1. */
  private List<Long> initialDelays(Duration interval) {
    List<Long> out = new ArrayList<>();
    for (double draw : new double[] {0.0, 0.5, 0.9995}) {
      HealthChecker c = new HealthChecker(new HealthConfig("/readyz", interval, interval.dividedBy(2), 1, 1, 0.2),
          new BackendSet(List.of(), control.clock()), probe, new ApilbMetrics(registry), control, fixed(draw));
      out.add(Duration.ofNanos(c.initialDelayNanos()).toMillis());
    }
    return out;
  }

  private static Random fixed(double draw) {
    return new Random() {
      @Override
      public double nextDouble() {
        return draw;
      }
    };
  }

  @Test
  void resultsMoveTheBackendThroughRiseAndFall() {
    start(2, 3, 0.0, "cp1");
    untilProbed("cp1", 1);
    assertThat(entry("cp1").ready()).as("first admission needs one success").isTrue();

    probe.answer = b -> CompletableFuture.completedFuture(failing());
    untilProbed("cp1", 3);
    assertThat(entry("cp1").ready()).isTrue();
    untilProbed("cp1", 4);
    assertThat(entry("cp1").state().flags()).containsExactly(HealthFlag.FAILED_PROBE);
    assertThat(entry("cp1").state().reason()).isEqualTo("probe: HTTP 500 [-]etcd (3 consecutive failures)");
    assertThat(entry("cp1").state().since()).as("the transition happened at the third failure")
        .isEqualTo(entry("cp1").state().lastProbeAt()).isAfter(ManualScheduledExecutor.DEFAULT_ORIGIN);

    probe.answer = b -> CompletableFuture.completedFuture(ProbeResult.ok(200));
    untilProbed("cp1", 5);
    assertThat(entry("cp1").ready()).isFalse();
    untilProbed("cp1", 6);
    assertThat(entry("cp1").ready()).isTrue();
    assertThat(probes("cp1", "ok")).isEqualTo(3);
    assertThat(probes("cp1", "status")).isEqualTo(3);
  }

  @Test
  void throwingProbeCountsAsAProtocolErrorAndProbingGoesOn() {
    start(1, 1, 0.0, "cp1");
    probe.answer = b -> {
      throw new IllegalStateException("boom");
    };
    untilProbed("cp1", 1);
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("probe: java.lang.IllegalStateException: boom");
    assertThat(entry("cp1").state().flags()).contains(HealthFlag.FAILED_PROBE);
    assertThat(probes("cp1", "protocol")).isEqualTo(1);

    probe.answer = b -> CompletableFuture.completedFuture(ProbeResult.ok(200));
    untilProbed("cp1", 2);
    assertThat(entry("cp1").ready()).isTrue();
  }

  @Test
  void probeThatNeverCompletesCountsAsATimeout() {
    start(1, 1, 0.0, "cp1");
    probe.answer = b -> new CompletableFuture<>();
    untilProbed("cp1", 1);
    assertThat(control.queued()).as("nothing is scheduled while the probe is out").isZero();

    // The guard is the probe timeout plus one second, in real time.
    await().atMost(Duration.ofSeconds(10)).until(() -> control.queued() == 1);
    control.runPending();
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("timeout: probe did not complete");
    assertThat(entry("cp1").state().flags()).contains(HealthFlag.FAILED_PROBE);
    assertThat(probes("cp1", "timeout")).isEqualTo(1);
    assertThat(control.queued()).as("the next probe is scheduled").isEqualTo(1);
  }

  @Test
  void removedMemberIsNoLongerProbedAndItsConnectionIsForgotten() {
    start(1, 1, 0.2, "cp1", "cp2");
    advance(3000);
    int cp1Probes = probe.timesOf("cp1").size();
    int cp2Probes = probe.timesOf("cp2").size();

    backends.replaceMembers(List.of(backend("cp2")));
    assertThat(probe.forgotten).containsExactly("cp1");
    advance(10_000);
    assertThat(probe.timesOf("cp1")).hasSize(cp1Probes);
    assertThat(probe.timesOf("cp2")).hasSizeGreaterThan(cp2Probes + 5);
    assertThat(probe.closed).isFalse();
  }

  @Test
  void addedMemberIsProbedWithinOneInterval() {
    start(2, 3, 0.2, "cp1");
    advance(5000);
    backends.replaceMembers(List.of(backend("cp1"), backend("cp2")));
    assertThat(entry("cp2").state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);

    advance(999);
    assertThat(probe.timesOf("cp2")).hasSize(1);
    assertThat(entry("cp2").ready()).isTrue();
  }

  @Test
  void resultOfAProbeOfARemovedMemberIsDropped() {
    start(1, 1, 0.0, "cp1", "cp2");
    CompletableFuture<ProbeResult> outstanding = new CompletableFuture<>();
    probe.answer = b -> b.name().equals("cp1") ? outstanding : CompletableFuture.completedFuture(ProbeResult.ok(200));
    untilProbed("cp1", 1);

    backends.replaceMembers(List.of(backend("cp2")));
    outstanding.complete(ProbeResult.ok(200));
    advance(5000);
    assertThat(probes("cp1", "ok")).isZero();
    assertThat(probe.timesOf("cp1")).hasSize(1);
  }

  @Test
  void closeStopsProbingAndClosesTheProbe() {
    start(1, 1, 0.2, "cp1", "cp2");
    CompletableFuture<ProbeResult> outstanding = new CompletableFuture<>();
    probe.answer = b -> b.name().equals("cp1") ? outstanding : CompletableFuture.completedFuture(ProbeResult.ok(200));
    advance(3000);
    int probed = probe.calls.size();
    long cp2Ok = probes("cp2", "ok");

    checker.close();
    control.runPending();
    assertThat(probe.closed).isTrue();

    outstanding.complete(ProbeResult.ok(200)); // in flight at close: dropped
    backends.replaceMembers(List.of(backend("cp1"), backend("cp2"), backend("cp3"))); // no longer followed
    advance(10_000);
    assertThat(probe.calls).hasSize(probed);
    assertThat(probes("cp1", "ok")).isZero();
    assertThat(probes("cp2", "ok")).isEqualTo(cp2Ok);
    assertThat(entry("cp3").state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
  }

  @Test
  void closeWithTheControlExecutorGoneClosesTheProbeAtOnce() {
    start(1, 1, 0.2, "cp1");
    control.shutdown();
    checker.close();
    assertThat(probe.closed).isTrue();
  }

  @Test
  void startAfterCloseProbesNothing() {
    backends = new BackendSet(List.of(backend("cp1")), control.clock());
    checker = new HealthChecker(new HealthConfig("/readyz", INTERVAL, INTERVAL, 1, 1, 0.2), backends, probe,
        new ApilbMetrics(registry), control, new Random(7));
    checker.close();
    checker.start();
    advance(5000);
    assertThat(probe.calls).isEmpty();
  }

  @Test
  void transportFailuresAreTaggedByLayer() {
    start(1, 1, 0.0, "cp1");
    probe.answer = b -> CompletableFuture.completedFuture(ProbeResult.failure(Outcome.CONNECT_FAILED, "connect refused"));
    untilProbed("cp1", 1);
    probe.answer = b -> CompletableFuture.completedFuture(ProbeResult.failure(Outcome.TLS_FAILED, "tls: bad certificate"));
    untilProbed("cp1", 2);
    assertThat(probes("cp1", "connect")).isEqualTo(1);
    assertThat(probes("cp1", "tls")).isEqualTo(1);
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("tls: bad certificate");
    assertThat(entry("cp1").state().answeredLastProbe()).isFalse();
  }
}
