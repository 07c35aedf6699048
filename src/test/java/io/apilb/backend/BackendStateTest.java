package io.apilb.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackendStateTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = T0.plusSeconds(1);

  private static BackendState state(Set<HealthFlag> flags, String lastProbe) {
    return new BackendState(flags, "test", T0, lastProbe, T0);
  }

  @Test
  void initialStateWaitsForTheFirstProbe() {
    BackendState s = BackendState.initial(T0);
    assertThat(s.flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
    assertThat(s.ready()).isFalse();
    assertThat(s.summary()).isEqualTo("pending_first_probe");
    assertThat(s.since()).isEqualTo(T0);
    assertThat(s.lastProbe()).isEqualTo("none");
    assertThat(s.lastProbeAt()).isEqualTo(Instant.EPOCH);
    assertThat(s.answeredLastProbe()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(HealthFlag.class)
  void summaryOfOneFlagIsItsLabel(HealthFlag flag) {
    assertThat(state(Set.of(flag), "ok").summary()).isEqualTo(flag.label());
  }

  @Test
  void summaryNamesTheMostImportantFlag() {
    assertThat(state(Set.of(), "ok").summary()).isEqualTo("ready");
    assertThat(state(EnumSet.of(HealthFlag.DISABLED_BY_OPERATOR, HealthFlag.EJECTED), "ok").summary())
        .isEqualTo("ejected");
    assertThat(state(EnumSet.of(HealthFlag.EJECTED, HealthFlag.DRAINING), "ok").summary()).isEqualTo("draining");
    assertThat(state(EnumSet.of(HealthFlag.DRAINING, HealthFlag.FAILED_PROBE), "ok").summary())
        .isEqualTo("failed_probe");
    assertThat(state(EnumSet.allOf(HealthFlag.class), "ok").summary()).isEqualTo("pending_first_probe");
  }

  @Test
  void settingAFlagRecordsWhyAndWhen() {
    BackendState s = state(Set.of(), "ok").withFlag(HealthFlag.DRAINING, true, "passive: HTTP 429", T1);
    assertThat(s.flags()).containsExactly(HealthFlag.DRAINING);
    assertThat(s.ready()).isFalse();
    assertThat(s.reason()).isEqualTo("passive: HTTP 429");
    assertThat(s.since()).isEqualTo(T1);
    assertThat(s.lastProbe()).isEqualTo("ok");

    BackendState cleared = s.withFlag(HealthFlag.DRAINING, false, "probe: 2 consecutive successes", T1.plusSeconds(1));
    assertThat(cleared.ready()).isTrue();
    assertThat(cleared.reason()).isEqualTo("probe: 2 consecutive successes");
    assertThat(cleared.since()).isEqualTo(T1.plusSeconds(1));
  }

  @Test
  void aFlagAlreadyInPlaceKeepsTheStateAsItWas() {
    BackendState s = state(Set.of(HealthFlag.EJECTED), "ok");
    assertThat(s.withFlag(HealthFlag.EJECTED, true, "again", T1)).isSameAs(s);
    assertThat(s.withFlag(HealthFlag.DRAINING, false, "not there", T1)).isSameAs(s);
    BackendState ready = state(Set.of(), "ok");
    assertThat(ready.withFlag(HealthFlag.FAILED_PROBE, false, "not there", T1)).isSameAs(ready);
  }

  @Test
  void aProbeChangesNeitherFlagsNorTheTransition() {
    BackendState s = state(Set.of(HealthFlag.FAILED_PROBE), "HTTP 500").withProbe("ok", T1);
    assertThat(s.flags()).containsExactly(HealthFlag.FAILED_PROBE);
    assertThat(s.reason()).isEqualTo("test");
    assertThat(s.since()).isEqualTo(T0);
    assertThat(s.lastProbe()).isEqualTo("ok");
    assertThat(s.lastProbeAt()).isEqualTo(T1);
  }

  @Test
  void flagsAreAnImmutableCopy() {
    EnumSet<HealthFlag> mutable = EnumSet.of(HealthFlag.DRAINING);
    BackendState s = state(mutable, "ok");
    mutable.add(HealthFlag.EJECTED);
    assertThat(s.flags()).containsExactly(HealthFlag.DRAINING);
    assertThatThrownBy(() -> s.flags().add(HealthFlag.EJECTED)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(s).isEqualTo(state(Set.of(HealthFlag.DRAINING), "ok"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ok", "HTTP 500 [-]etcd", "HTTP 401", "HTTP 500 [-]shutdown"})
  void anHttpAnswerMeansAlive(String lastProbe) {
    assertThat(state(Set.of(HealthFlag.FAILED_PROBE), lastProbe).answeredLastProbe()).isTrue();
    assertThat(state(Set.of(HealthFlag.FAILED_PROBE), lastProbe).panicCandidate()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "timeout after 1s", "connect refused", "tls: certificate expired",
      "timeout: probe did not complete"})
  void noHttpAnswerMeansNotKnownAlive(String lastProbe) {
    assertThat(state(Set.of(HealthFlag.FAILED_PROBE), lastProbe).answeredLastProbe()).isFalse();
    assertThat(state(Set.of(HealthFlag.FAILED_PROBE), lastProbe).panicCandidate()).isFalse();
  }

  @Test
  void drainingAndOperatorDisabledBackendsAreNeverPanicCandidates() {
    assertThat(state(Set.of(HealthFlag.DRAINING), "ok").panicCandidate()).isFalse();
    assertThat(state(Set.of(HealthFlag.DISABLED_BY_OPERATOR), "ok").panicCandidate()).isFalse();
    assertThat(state(Set.of(HealthFlag.EJECTED), "ok").panicCandidate()).isTrue();
    assertThat(state(Set.of(HealthFlag.PENDING_FIRST_PROBE, HealthFlag.FAILED_PROBE), "HTTP 500").panicCandidate())
        .isTrue();
  }
}
