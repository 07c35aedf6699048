package io.apilb.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.config.OutlierConfig;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.testing.ManualScheduledExecutor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Passive outlier detection on a virtual-time control executor: exchanges report on the test
 * thread (standing in for event loops), state changes happen only when the control executor runs.
 */
class OutlierDetectorTest {
  private static final Duration BASE = Duration.ofSeconds(10);
  private static final Duration MAX = Duration.ofSeconds(40);

  private final ManualScheduledExecutor control = new ManualScheduledExecutor();
  private final MetricRegistry registry = new MetricRegistry();
  private final BackendSet backends =
      new BackendSet(List.of(backend("cp1"), backend("cp2"), backend("cp3")), control.clock());
  private OutlierDetector detector = detector(3);

  private static Backend backend(String name) {
    return new Backend(name, "10.0.0." + name.charAt(2), 6443, Optional.empty());
  }

  private OutlierDetector detector(int consecutiveFailures) {
    return new OutlierDetector(new OutlierConfig(consecutiveFailures, BASE, MAX), backends, control,
        new ApilbMetrics(registry));
  }

  @BeforeEach
  void allReadyAndProbed() {
    for (String name : List.of("cp1", "cp2", "cp3")) {
      backends.update(name, s -> s.withProbe("ok", control.clock().instant())
          .withFlag(HealthFlag.PENDING_FIRST_PROBE, false, "test", control.clock().instant()));
    }
  }

  private BackendEntry entry(String name) {
    return backends.snapshot().byName(name).orElseThrow();
  }

  private Set<HealthFlag> flags(String name) {
    return entry(name).state().flags();
  }

  private void fail(String name, int times) {
    for (int i = 0; i < times; i++) {
      detector.onFailure(entry(name), "HTTP 502");
    }
  }

  private void succeed(String name) {
    detector.onSuccess(entry(name));
  }

  private void probed(String name, String summary) {
    backends.update(name, s -> s.withProbe(summary, control.clock().instant()));
  }

  private void advance(long millis) {
    control.advance(Duration.ofMillis(millis));
  }

  private long ejections(String name) {
    return registry.counter(MetricRegistry.name(MetricNames.BACKEND_EJECTIONS, name)).getCount();
  }

  /** Ejects {@code name} now and returns the back-off its reason announces. */
  private String eject(String name) {
    fail(name, 3);
    control.runPending();
    assertThat(flags(name)).contains(HealthFlag.EJECTED);
    return entry(name).state().reason();
  }

  @Test
  void consecutiveFailuresEjectTheBackendOnTheControlThread() {
    fail("cp1", 2);
    control.runPending();
    assertThat(flags("cp1")).isEmpty();

    fail("cp1", 1);
    assertThat(flags("cp1")).as("event loops only hand the ejection over").isEmpty();
    control.runPending();

    assertThat(flags("cp1")).containsExactly(HealthFlag.EJECTED);
    assertThat(entry("cp1").state().reason()).isEqualTo("ejected for 10s: 3 consecutive failures, last: HTTP 502");
    assertThat(entry("cp1").stats().consecutiveFailures()).as("counting starts afresh").isZero();
    assertThat(ejections("cp1")).isEqualTo(1);
    assertThat(flags("cp2")).isEmpty();
    assertThat(ejections("cp2")).isZero();
  }

  @Test
  void successEndsTheRunOfFailures() {
    fail("cp1", 2);
    succeed("cp1");
    fail("cp1", 2);
    control.runPending();
    assertThat(flags("cp1")).isEmpty();
    assertThat(ejections("cp1")).isZero();

    fail("cp1", 1); // the third in a row since the success
    control.runPending();
    assertThat(flags("cp1")).containsExactly(HealthFlag.EJECTED);
  }

  @Test
  void zeroConsecutiveFailuresDisablesDetection() {
    detector = detector(0);
    fail("cp1", 50);
    assertThat(control.queued()).isZero();
    control.runPending();
    assertThat(flags("cp1")).isEmpty();
  }

  @Test
  void readmitsOnceTheBackOffExpiredAndAProbeSucceededSince() {
    eject("cp1");
    probed("cp1", "ok"); // during the back-off: does not count

    advance(BASE.toMillis());
    assertThat(flags("cp1")).as("no probe since the back-off expired").contains(HealthFlag.EJECTED);
    advance(2000);
    assertThat(flags("cp1")).contains(HealthFlag.EJECTED);

    probed("cp1", "ok");
    advance(500); // the ejection is re-checked every half second
    assertThat(flags("cp1")).isEmpty();
    assertThat(entry("cp1").state().reason()).isEqualTo("ejection ended: probe ok");
    assertThat(entry("cp1").state().since()).isEqualTo(control.clock().instant());
  }

  @Test
  void probesDuringTheBackOffDoNotShortenIt() {
    eject("cp1");
    for (int i = 0; i < 9; i++) {
      advance(1000);
      probed("cp1", "ok");
    }
    advance(999);
    assertThat(flags("cp1")).contains(HealthFlag.EJECTED);
  }

  @Test
  void failingProbesAfterTheBackOffKeepTheBackendEjected() {
    eject("cp1");
    advance(BASE.toMillis());
    probed("cp1", "connect refused");
    advance(5000);
    assertThat(flags("cp1")).contains(HealthFlag.EJECTED);
    probed("cp1", "HTTP 500 [-]etcd");
    advance(5000);
    assertThat(flags("cp1")).contains(HealthFlag.EJECTED);

    probed("cp1", "ok");
    advance(500);
    assertThat(flags("cp1")).isEmpty();
  }

  @Test
  void backOffDoublesWithEachEjectionUpToTheMaximum() {
    long[] expectedSeconds = {10, 20, 40, 40};
    for (long seconds : expectedSeconds) {
      assertThat(eject("cp1")).startsWith("ejected for " + seconds + "s: ");
      advance(seconds * 1000 - 1);
      probed("cp1", "ok");
      advance(1); // expired, but the last probe is from before the expiry
      assertThat(flags("cp1")).as("%ds back-off", seconds).contains(HealthFlag.EJECTED);
      probed("cp1", "ok");
      advance(500);
      assertThat(flags("cp1")).as("%ds back-off", seconds).isEmpty();
    }
    assertThat(ejections("cp1")).isEqualTo(4);
  }

  @Test
  void backOffIsBaseTimesTwoToTheEjectionCountCappedAtTheMaximum() {
    OutlierDetector d = new OutlierDetector(
        new OutlierConfig(3, Duration.ofSeconds(3), Duration.ofSeconds(10)), backends, control, new ApilbMetrics(registry));
    assertThat(List.of(d.backoff(1), d.backoff(2), d.backoff(3), d.backoff(4), d.backoff(100)))
        .containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofSeconds(10));
  }

  @Test
  void failuresOfAnEjectedBackendDoNotEjectItAgain() {
    String reason = eject("cp1");
    fail("cp1", 3); // requests that were in flight when it was ejected
    control.runPending();
    assertThat(ejections("cp1")).isEqualTo(1);
    assertThat(entry("cp1").state().reason()).isEqualTo(reason);
  }

  @Test
  void neverEjectsTheLastRoutableBackend() {
    eject("cp1");
    eject("cp2");

    fail("cp3", 3);
    control.runPending();
    assertThat(flags("cp3")).isEmpty();
    assertThat(ejections("cp3")).isZero();
    assertThat(backends.snapshot().routable()).extracting(BackendEntry::name).containsExactly("cp3");
  }

  @Test
  void aBackendOutOfRotationMayBeEjectedEvenWhenOneOtherIsRoutable() {
    backends.update("cp2", s -> s.withFlag(HealthFlag.FAILED_PROBE, true, "test", control.clock().instant()));
    backends.update("cp3", s -> s.withFlag(HealthFlag.FAILED_PROBE, true, "test", control.clock().instant()));

    fail("cp1", 3); // the only routable backend: kept
    fail("cp2", 3); // not routable anyway: ejected
    control.runPending();
    assertThat(flags("cp1")).isEmpty();
    assertThat(flags("cp2")).containsExactlyInAnyOrder(HealthFlag.FAILED_PROBE, HealthFlag.EJECTED);
  }

  @Test
  void failuresWhileEjectedDoNotCountAfterReadmission() {
    eject("cp1");
    fail("cp1", 5); // requests that were in flight when it was ejected, failing one after another
    control.runPending();
    advance(BASE.toMillis());
    probed("cp1", "ok");
    advance(500);
    assertThat(flags("cp1")).isEmpty();

    fail("cp1", 2);
    control.runPending();
    assertThat(flags("cp1")).as("a re-admitted backend starts with a clean record").isEmpty();
    fail("cp1", 1);
    control.runPending();
    assertThat(flags("cp1")).as("three failures in a row after re-admission eject it again")
        .containsExactly(HealthFlag.EJECTED);
    assertThat(ejections("cp1")).isEqualTo(2);
  }

  @Test
  void backendKeptAsTheLastRoutableIsEjectedOnceAnotherReturns() {
    backends.update("cp2", s -> s.withFlag(HealthFlag.FAILED_PROBE, true, "test", control.clock().instant()));
    backends.update("cp3", s -> s.withFlag(HealthFlag.FAILED_PROBE, true, "test", control.clock().instant()));
    fail("cp1", 4);
    control.runPending();
    assertThat(flags("cp1")).isEmpty();

    backends.update("cp2", s -> s.withFlag(HealthFlag.FAILED_PROBE, false, "test", control.clock().instant()));
    fail("cp1", 3);
    control.runPending();
    assertThat(flags("cp1")).containsExactly(HealthFlag.EJECTED);
  }

  @Test
  void shuttingDownMarksTheBackendDrainingOnTheControlThread() {
    advance(1000);
    detector.onShuttingDown(entry("cp1"), "HTTP 429 with Connection: close");
    assertThat(flags("cp1")).isEmpty();
    control.runPending();

    assertThat(flags("cp1")).containsExactly(HealthFlag.DRAINING);
    assertThat(entry("cp1").state().reason()).isEqualTo("passive: HTTP 429 with Connection: close");
    assertThat(entry("cp1").state().since()).isEqualTo(control.clock().instant());
    assertThat(ejections("cp1")).isZero();
  }

  @Test
  void shuttingDownOfADrainingBackendQueuesNothing() {
    backends.update("cp1", s -> s.withFlag(HealthFlag.DRAINING, true, "probe: HTTP 500 [-]shutdown",
        control.clock().instant()));
    long version = backends.snapshot().version();

    detector.onShuttingDown(entry("cp1"), "HTTP 429 with Connection: close");
    assertThat(control.queued()).isZero();
    control.runPending();
    assertThat(entry("cp1").state().reason()).isEqualTo("probe: HTTP 500 [-]shutdown");
    assertThat(backends.snapshot().version()).isEqualTo(version);
  }

  @Test
  void reportsAboutARemovedBackendAreIgnored() {
    BackendEntry gone = entry("cp1");
    backends.replaceMembers(List.of(backend("cp2"), backend("cp3")));
    for (int i = 0; i < 3; i++) {
      detector.onFailure(gone, "connect refused");
    }
    detector.onShuttingDown(gone, "HTTP 429");
    control.runPending();
    assertThat(backends.snapshot().byName("cp1")).isEmpty();
    assertThat(ejections("cp1")).isZero();
  }

  @Test
  void failuresReportedAfterTheControlThreadStoppedAreDroppedNotThrown() {
    java.util.concurrent.ScheduledExecutorService stopped = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    stopped.shutdownNow();
    OutlierDetector late = new OutlierDetector(new OutlierConfig(1, BASE, MAX), backends, stopped,
        new ApilbMetrics(registry));

    late.onFailure(entry("cp1"), "stream closed during shutdown"); // would eject: reaches the control thread
    late.onShuttingDown(entry("cp2"), "GOAWAY");

    assertThat(flags("cp1")).doesNotContain(HealthFlag.EJECTED);
  }
}
