package io.apilb.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.BackendState;
import io.apilb.backend.HealthFlag;
import io.apilb.health.ProbeResult.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProbeHysteresisTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final ProbeResult OK = ProbeResult.ok(200);
  private static final ProbeResult FAIL = ProbeResult.httpStatus(500, List.of("etcd"));
  private static final ProbeResult SHUTDOWN = ProbeResult.httpStatus(500, List.of("shutdown"));
  private static final ProbeResult REFUSED = ProbeResult.failure(Outcome.CONNECT_FAILED, "connect refused");

  /** Runs {@code results} from {@code start} with rise 2, fall 3; returns the flags after each. */
  private static List<Set<HealthFlag>> run(BackendState start, ProbeResult... results) {
    ProbeHysteresis h = ProbeHysteresis.of(2, 3);
    BackendState s = start;
    List<Set<HealthFlag>> out = new ArrayList<>();
    int i = 0;
    for (ProbeResult r : results) {
      ProbeHysteresis.Step step = h.apply(s, r, T0.plusSeconds(++i));
      h = step.next();
      s = step.state();
      out.add(s.flags());
    }
    return out;
  }

  private static BackendState initial() {
    return BackendState.initial(T0);
  }

  private static BackendState ready() {
    return initial().withFlag(HealthFlag.PENDING_FIRST_PROBE, false, "test", T0);
  }

  private static Set<HealthFlag> flags(HealthFlag... f) {
    return f.length == 0 ? Set.of() : EnumSet.of(f[0], f);
  }

  static Stream<Arguments> table() {
    HealthFlag pending = HealthFlag.PENDING_FIRST_PROBE;
    HealthFlag failed = HealthFlag.FAILED_PROBE;
    HealthFlag draining = HealthFlag.DRAINING;
    return Stream.of(
        Arguments.of("first success admits at once", initial(),
            new ProbeResult[] {OK}, List.of(flags())),
        Arguments.of("pending stays pending below fall", initial(),
            new ProbeResult[] {FAIL, FAIL}, List.of(flags(pending), flags(pending))),
        Arguments.of("pending that failed fall times needs rise", initial(),
            new ProbeResult[] {FAIL, FAIL, FAIL, OK, OK},
            List.of(flags(pending), flags(pending), flags(pending, failed), flags(pending, failed), flags())),
        Arguments.of("ready leaves after fall failures", ready(),
            new ProbeResult[] {FAIL, REFUSED, FAIL}, List.of(flags(), flags(), flags(failed))),
        Arguments.of("a success resets the failure count", ready(),
            new ProbeResult[] {FAIL, FAIL, OK, FAIL, FAIL},
            List.of(flags(), flags(), flags(), flags(), flags())),
        Arguments.of("failed returns after rise successes", ready(),
            new ProbeResult[] {FAIL, FAIL, FAIL, OK, FAIL, OK, OK},
            List.of(flags(), flags(), flags(failed), flags(failed), flags(failed), flags(failed), flags())),
        Arguments.of("shutdown drains at once", ready(),
            new ProbeResult[] {SHUTDOWN}, List.of(flags(draining))),
        Arguments.of("shutdown then refused counts toward fall", ready(),
            new ProbeResult[] {SHUTDOWN, REFUSED, REFUSED},
            List.of(flags(draining), flags(draining), flags(draining, failed))),
        Arguments.of("draining clears after rise successes", ready(),
            new ProbeResult[] {SHUTDOWN, OK, OK}, List.of(flags(draining), flags(draining), flags())),
        Arguments.of("shutdown while pending", initial(),
            new ProbeResult[] {SHUTDOWN, OK},
            List.of(flags(pending, draining), flags())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void appliesRiseFallAndShutdown(String name, BackendState start, ProbeResult[] results, List<Set<HealthFlag>> expected) {
    assertThat(run(start, results)).isEqualTo(expected);
  }

  @Test
  void neverTouchesOperatorOrOutlierFlags() {
    BackendState s = ready()
        .withFlag(HealthFlag.DISABLED_BY_OPERATOR, true, "operator", T0)
        .withFlag(HealthFlag.EJECTED, true, "outlier", T0);
    assertThat(run(s, OK, OK, OK).get(2)).containsExactlyInAnyOrder(HealthFlag.DISABLED_BY_OPERATOR, HealthFlag.EJECTED);
    assertThat(run(s, FAIL, FAIL, FAIL).get(2))
        .containsExactlyInAnyOrder(HealthFlag.DISABLED_BY_OPERATOR, HealthFlag.EJECTED, HealthFlag.FAILED_PROBE);
  }

  @Test
  void recordsLastProbeAndTransitionReason() {
    ProbeHysteresis h = ProbeHysteresis.of(1, 1);
    ProbeHysteresis.Step step = h.apply(ready(), SHUTDOWN, T0.plusSeconds(5));
    assertThat(step.state().lastProbe()).isEqualTo("HTTP 500 [-]shutdown");
    assertThat(step.state().lastProbeAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(step.state().reason()).startsWith("probe: HTTP 500 [-]shutdown");
    assertThat(step.state().since()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void countersSaturate() {
    ProbeHysteresis h = ProbeHysteresis.of(2, 3);
    BackendState s = ready();
    for (int i = 0; i < 10; i++) {
      ProbeHysteresis.Step step = h.apply(s, FAIL, T0);
      h = step.next();
      s = step.state();
    }
    assertThat(h.failures()).isEqualTo(3);
  }

  @Test
  void parsesFailedChecksFromVerboseReadyz() {
    String body = "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n"
        + "[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\n[-]shutdown failed: reason withheld\n"
        + "readyz check failed\n";
    assertThat(ProbeResult.parseFailedChecks(body))
        .containsExactly("etcd", "poststarthook/rbac/bootstrap-roles", "shutdown");
    assertThat(ProbeResult.httpStatus(500, ProbeResult.parseFailedChecks(body)).summary())
        .isEqualTo("HTTP 500 [-]etcd [-]poststarthook/rbac/bootstrap-roles [-]shutdown");
    assertThat(ProbeResult.parseFailedChecks("ok")).isEmpty();
  }
}
