package io.apilb.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import io.apilb.backend.HealthFlag;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Balancers as pure functions of a snapshot, a random source and a clock. */
class BalancersTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static BackendEntry entry(String name, int weight, Set<HealthFlag> flags, Instant since, String lastProbe) {
    return new BackendEntry(new Backend(name, "10.0.0." + name.length(), 6443, Optional.empty(), weight),
        new BackendState(flags, "test", since, lastProbe, T0), new BackendStats());
  }

  static BackendEntry ready(String name) {
    return entry(name, 1, Set.of(), T0, "ok");
  }

  static void load(BackendEntry e, int inFlight, int longRunning) {
    for (int i = 0; i < longRunning; i++) {
      e.stats().requestStarted(true);
    }
    for (int i = 0; i < inFlight - longRunning; i++) {
      e.stats().requestStarted(false);
    }
  }

  @Test
  void leastInFlightPrefersTheLessBusyOfTwoChoices() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    load(a, 10, 0);
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b));
    Random r = new Random(7);
    LeastInFlightBalancer lb = new LeastInFlightBalancer(() -> r);
    for (int i = 0; i < 50; i++) {
      assertThat(lb.select(snap, SelectionContext.first(RequestClass.SHORT))).contains(b);
    }
  }

  @Test
  void openWatchesDoNotCountAsShortRequestLoad() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    load(a, 30, 30); // 30 watches, no short request
    load(b, 1, 0);   // one short request
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b));
    Random r = new Random(9);
    LeastInFlightBalancer lb = new LeastInFlightBalancer(() -> r);
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.SHORT))).contains(a);
  }

  @Test
  void leastInFlightSpreadsEvenlyWhenIdleAndRespectsWeights() {
    BackendEntry a = entry("a", 1, Set.of(), T0, "ok");
    BackendEntry b = entry("bb", 1, Set.of(), T0, "ok");
    BackendEntry c = entry("ccc", 2, Set.of(), T0, "ok");
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b, c));
    Random r = new Random(1);
    LeastInFlightBalancer lb = new LeastInFlightBalancer(() -> r);
    Map<String, Integer> counts = new HashMap<>();
    List<BackendEntry> held = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      BackendEntry e = lb.select(snap, SelectionContext.first(RequestClass.SHORT)).orElseThrow();
      e.stats().requestStarted(false); // requests stay in flight: load accumulates
      held.add(e);
      counts.merge(e.name(), 1, Integer::sum);
    }
    // weight 2 carries about twice the in-flight load of weight 1
    assertThat(counts.get("ccc")).isBetween(180, 220);
    assertThat(counts.get("a")).isBetween(90, 110);
    assertThat(counts.get("bb")).isBetween(90, 110);
  }

  @Test
  void triedBackendsAreNeverChosenAgain() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b));
    SelectionContext retry = new SelectionContext(RequestClass.SHORT, Set.of("a"));
    Random r = new Random(3);
    for (Balancer lb : List.of(new LeastInFlightBalancer(() -> r), new RoundRobinBalancer(),
        new LeastLongRunningBalancer(Duration.ZERO, Clock.fixed(T0, ZoneOffset.UTC), () -> r))) {
      for (int i = 0; i < 20; i++) {
        assertThat(lb.select(snap, retry)).contains(b);
      }
      assertThat(lb.select(snap, new SelectionContext(RequestClass.SHORT, Set.of("a", "b")))).isEmpty();
    }
  }

  @Test
  void leastLongRunningPicksTheBackendWithFewestWatches() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    BackendEntry c = ready("c");
    load(a, 5, 5);
    load(b, 2, 2);
    load(c, 40, 3); // many short requests do not count
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b, c));
    Random r = new Random(5);
    LeastLongRunningBalancer lb = new LeastLongRunningBalancer(Duration.ZERO, Clock.fixed(T0, ZoneOffset.UTC), () -> r);
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.LONG_RUNNING))).contains(b);
  }

  @Test
  void watchesStillWaitingForAStreamCountAgainstTheirBackend() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    BackendEntry c = ready("c");
    load(b, 1, 1);
    load(c, 1, 1);
    for (int i = 0; i < 3; i++) {
      a.stats().acquiring(true, 1); // a burst sent a's way while its next connection opens
    }
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b, c));
    Random r = new Random(5);
    LeastLongRunningBalancer lb = new LeastLongRunningBalancer(Duration.ZERO, Clock.fixed(T0, ZoneOffset.UTC), () -> r);
    for (int i = 0; i < 20; i++) {
      assertThat(lb.select(snap, SelectionContext.first(RequestClass.LONG_RUNNING))).isNotEqualTo(Optional.of(a));
    }
    BackendEntry x = ready("x");
    BackendEntry y = ready("y");
    x.stats().acquiring(false, 5);
    LeastInFlightBalancer least = new LeastInFlightBalancer(() -> r);
    BackendSnapshot two = BackendSnapshot.of(1, List.of(x, y));
    assertThat(least.select(two, SelectionContext.first(RequestClass.SHORT))).contains(y);
  }

  @Test
  void slowStartRampsANewcomersShareOfWatches() {
    Clock clock = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);
    BackendEntry old = entry("old", 1, Set.of(), T0, "ok");
    BackendEntry fresh = entry("fresh", 1, Set.of(), T0.plusSeconds(57), "ok"); // ready for 3 s of 30 s
    load(old, 4, 4);
    Random r = new Random(11);
    LeastLongRunningBalancer lb = new LeastLongRunningBalancer(Duration.ofSeconds(30), clock, () -> r);
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(old, fresh));
    // fresh scores (0+1)/0.1 = 10 against (4+1)/1 = 5: it waits while its cache warms
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.LONG_RUNNING))).contains(old);
    LeastLongRunningBalancer later = new LeastLongRunningBalancer(Duration.ofSeconds(30),
        Clock.fixed(T0.plusSeconds(100), ZoneOffset.UTC), () -> r);
    assertThat(later.select(snap, SelectionContext.first(RequestClass.LONG_RUNNING))).contains(fresh);
  }

  @Test
  void classAwareBalancerRoutesByRequestClass() {
    BackendEntry a = ready("a");
    BackendEntry b = ready("b");
    load(a, 0, 0);
    load(b, 0, 0);
    Balancer alwaysA = (s, c) -> Optional.of(a);
    Balancer alwaysB = (s, c) -> Optional.of(b);
    ClassAwareBalancer lb = new ClassAwareBalancer(alwaysA, alwaysB);
    BackendSnapshot snap = BackendSnapshot.of(1, List.of(a, b));
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.SHORT))).contains(a);
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.LONG_RUNNING))).contains(b);
    assertThat(lb.select(snap, SelectionContext.first(RequestClass.UPGRADE))).contains(b);
  }

  @Test
  void panicModeEngagesBelowThresholdAndUsesOnlyBackendsNotKnownDead() {
    BackendEntry up = ready("up");
    BackendEntry unready = entry("unready", 1, Set.of(HealthFlag.FAILED_PROBE), T0, "HTTP 401");
    BackendEntry dead = entry("dead", 1, Set.of(HealthFlag.FAILED_PROBE), T0, "connect refused");
    BackendEntry draining = entry("draining", 1, Set.of(HealthFlag.DRAINING), T0, "HTTP 500 [-]shutdown");
    BackendEntry disabled = entry("disabled", 1, Set.of(HealthFlag.DISABLED_BY_OPERATOR), T0, "ok");
    List<BackendEntry> all = List.of(up, unready, dead, draining, disabled);

    BackendSnapshot calm = BackendSnapshot.of(1, all, 0.2); // 1 of 5 ready = 0.2, not below 0.2
    assertThat(calm.panic()).isFalse();
    assertThat(calm.routable()).containsExactly(up);

    BackendSnapshot panic = BackendSnapshot.of(2, all, 0.5);
    assertThat(panic.panic()).isTrue();
    assertThat(panic.routable()).containsExactlyInAnyOrder(up, unready);

    BackendSnapshot disabledPanic = BackendSnapshot.of(3, all, 0.0);
    assertThat(disabledPanic.panic()).isFalse();
    assertThat(disabledPanic.routable()).containsExactly(up);

    BackendSnapshot allDead = BackendSnapshot.of(4, List.of(dead, draining), 0.5);
    assertThat(allDead.routable()).isEmpty();
    assertThat(allDead.panic()).isFalse();
  }
}
