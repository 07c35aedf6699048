package io.apilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.apilb.testing.ManualScheduledExecutor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Publication, logging and panic mode of the backend set, on a virtual clock. */
class BackendSetTest {
  private final ManualScheduledExecutor time = new ManualScheduledExecutor();
  private final BackendSet backends =
      new BackendSet(List.of(backend("cp1"), backend("cp2"), backend("cp3")), time.clock());
  private final List<BackendSnapshot> published = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(BackendSet.class);

  private static Backend backend(String name) {
    return new Backend(name, "10.0.0." + name.charAt(2), 6443, Optional.empty());
  }

  @BeforeEach
  void listen() {
    backends.addListener(published::add);
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(logged);
  }

  private Instant now() {
    return time.clock().instant();
  }

  private BackendEntry entry(String name) {
    return backends.snapshot().byName(name).orElseThrow();
  }

  private void set(String name, HealthFlag flag, boolean on, String why) {
    backends.update(name, s -> s.withFlag(flag, on, why, now()));
  }

  private void probed(String name, String summary) {
    backends.update(name, s -> s.withProbe(summary, now()));
  }

  /** Ready, with an HTTP answer at its last probe. */
  private void admit(String... names) {
    for (String name : names) {
      probed(name, "ok");
      set(name, HealthFlag.PENDING_FIRST_PROBE, false, "probe: first probe ok");
    }
  }

  /** Out of rotation after failed probes, but alive: a panic candidate. */
  private void failProbes(String name, String summary) {
    probed(name, summary);
    set(name, HealthFlag.FAILED_PROBE, true, "probe: " + summary + " (3 consecutive failures)");
  }

  private List<String> messages(Level level) {
    return logged.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static List<String> names(List<BackendEntry> entries) {
    return entries.stream().map(BackendEntry::name).toList();
  }

  @Test
  void everyMemberStartsPendingItsFirstProbe() {
    BackendSnapshot snap = backends.snapshot();
    assertThat(snap.version()).isEqualTo(1);
    assertThat(names(snap.entries())).containsExactly("cp1", "cp2", "cp3");
    assertThat(snap.ready()).isEmpty();
    assertThat(snap.entries()).allSatisfy(e -> {
      assertThat(e.state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
      assertThat(e.state().since()).isEqualTo(ManualScheduledExecutor.DEFAULT_ORIGIN);
    });
  }

  @Test
  void flagChangeIsPublishedAndLoggedWithItsCause() {
    time.advance(Duration.ofSeconds(3));
    set("cp1", HealthFlag.PENDING_FIRST_PROBE, false, "probe: first probe ok");

    assertThat(published).hasSize(1);
    BackendSnapshot snap = published.get(0);
    assertThat(snap).isSameAs(backends.snapshot());
    assertThat(snap.version()).isEqualTo(2);
    assertThat(names(snap.ready())).containsExactly("cp1");
    assertThat(snap.byName("cp1").orElseThrow().state().since()).isEqualTo(now());
    assertThat(messages(Level.INFO))
        .containsExactly("backend cp1 (10.0.0.1:6443) pending_first_probe -> ready: probe: first probe ok");
  }

  @Test
  void probeOnlyChangeIsPublishedButNotLogged() {
    admit("cp1");
    published.clear();
    logged.list.clear();

    time.advance(Duration.ofSeconds(1));
    probed("cp1", "HTTP 500 [-]etcd");

    assertThat(published).hasSize(1);
    assertThat(entry("cp1").state().lastProbe()).isEqualTo("HTTP 500 [-]etcd");
    assertThat(entry("cp1").state().lastProbeAt()).isEqualTo(now());
    assertThat(entry("cp1").ready()).isTrue();
    assertThat(logged.list).isEmpty();
  }

  @Test
  void flagChangeThatKeepsTheSummaryIsStillLoggedWithItsCause() {
    admit("cp1");
    failProbes("cp1", "HTTP 500 [-]etcd");
    logged.list.clear();

    set("cp1", HealthFlag.EJECTED, true, "ejected for 10s: 5 consecutive failures, last: HTTP 502");

    assertThat(entry("cp1").state().flags()).containsExactlyInAnyOrder(HealthFlag.FAILED_PROBE, HealthFlag.EJECTED);
    assertThat(messages(Level.INFO)).singleElement().asString()
        .isEqualTo("backend cp1 (10.0.0.1:6443) still failed_probe, flags +ejected: "
            + "ejected for 10s: 5 consecutive failures, last: HTTP 502");
  }

  /** Regression (issue 11): it read "pending_first_probe -> pending_first_probe". */
  @Test
  void aPendingBackendEjectedAndReadmittedLogsTheFlagsNotAnEmptyTransition() {
    set("cp1", HealthFlag.EJECTED, true, "ejected for 10s: 5 consecutive failures, last: connect refused");
    set("cp1", HealthFlag.EJECTED, false, "probe: re-admitted");

    assertThat(messages(Level.INFO)).containsExactly(
        "backend cp1 (10.0.0.1:6443) still pending_first_probe, flags +ejected: "
            + "ejected for 10s: 5 consecutive failures, last: connect refused",
        "backend cp1 (10.0.0.1:6443) still pending_first_probe, flags -ejected: probe: re-admitted");
  }

  @Test
  void unchangedStateIsNeitherPublishedNorLogged() {
    admit("cp1");
    long version = backends.snapshot().version();
    published.clear();
    logged.list.clear();

    backends.update("cp1", s -> s);
    set("cp1", HealthFlag.PENDING_FIRST_PROBE, false, "again");
    backends.update("nobody", s -> s.withFlag(HealthFlag.DRAINING, true, "x", now()));

    assertThat(published).isEmpty();
    assertThat(logged.list).isEmpty();
    assertThat(backends.snapshot().version()).isEqualTo(version);
  }

  @Test
  void eachPublicationHasTheNextVersionAndOlderSnapshotsStayAsTheyWere() {
    BackendSnapshot before = backends.snapshot();
    admit("cp1", "cp2");
    assertThat(published).extracting(BackendSnapshot::version).containsExactly(2L, 3L, 4L, 5L);
    assertThat(before.ready()).isEmpty();
    assertThat(before.byName("cp1").orElseThrow().state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
  }

  @Test
  void removedListenerIsNoLongerCalled() {
    List<BackendSnapshot> other = new ArrayList<>();
    Consumer<BackendSnapshot> listener = other::add;
    backends.addListener(listener);
    admit("cp1");
    int seen = other.size();
    backends.removeListener(listener);
    admit("cp2");
    assertThat(seen).isEqualTo(2);
    assertThat(other).hasSize(seen);
    assertThat(published).hasSize(4);
  }

  @Test
  void replacingMembersKeepsStateAndCountersOfKeptBackends() {
    admit("cp1");
    BackendStats cp1Stats = entry("cp1").stats();
    cp1Stats.requestStarted(true);
    BackendState cp1State = entry("cp1").state();
    time.advance(Duration.ofSeconds(5));

    backends.replaceMembers(List.of(backend("cp4"), backend("cp1")));

    BackendSnapshot snap = backends.snapshot();
    assertThat(published).last().isSameAs(snap);
    assertThat(names(snap.entries())).containsExactly("cp4", "cp1");
    assertThat(entry("cp1").stats()).isSameAs(cp1Stats);
    assertThat(entry("cp1").stats().activeLongRunning()).isEqualTo(1);
    assertThat(entry("cp1").state()).isEqualTo(cp1State);
    assertThat(entry("cp4").state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
    assertThat(entry("cp4").state().since()).isEqualTo(now());
    assertThat(snap.byName("cp2")).isEmpty();
  }

  @Test
  void backendWhoseAddressChangedStartsAfresh() {
    admit("cp1");
    BackendStats old = entry("cp1").stats();
    backends.replaceMembers(List.of(new Backend("cp1", "10.0.0.1", 7443, Optional.empty()), backend("cp2")));
    assertThat(entry("cp1").backend().port()).isEqualTo(7443);
    assertThat(entry("cp1").state().flags()).containsExactly(HealthFlag.PENDING_FIRST_PROBE);
    assertThat(entry("cp1").stats()).isNotSameAs(old);
  }

  @Test
  void panicModeSpreadsOverAliveBackendsBelowTheThresholdAndLogsOnlyItsTransitions() {
    admit("cp1", "cp2", "cp3");
    backends.setPanicThreshold(0.5);
    failProbes("cp2", "HTTP 500 [-]etcd");
    assertThat(backends.snapshot().panic()).as("2 of 3 ready").isFalse();
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1", "cp3");

    failProbes("cp3", "HTTP 500 [-]etcd");
    BackendSnapshot panic = backends.snapshot();
    assertThat(panic.panic()).as("1 of 3 ready").isTrue();
    assertThat(names(panic.ready())).containsExactly("cp1");
    assertThat(names(panic.routable())).containsExactly("cp1", "cp2", "cp3");
    assertThat(messages(Level.WARN)).singleElement().asString()
        .startsWith("panic mode engaged: 1 of 3 backends ready (threshold 0.5)")
        .endsWith("spreading requests over 3 reachable backends: cp1, cp2, cp3");

    probed("cp3", "HTTP 500 [-]etcd"); // still panicking: nothing more to say
    set("cp2", HealthFlag.DRAINING, true, "probe: HTTP 500 [-]shutdown"); // no longer a candidate
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1", "cp3");
    assertThat(messages(Level.WARN)).hasSize(1);

    probed("cp3", "ok");
    set("cp3", HealthFlag.FAILED_PROBE, false, "probe: 2 consecutive successes");
    assertThat(backends.snapshot().panic()).isFalse();
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1", "cp3");
    assertThat(messages(Level.WARN)).hasSize(2).last().isEqualTo("panic mode released: 2 of 3 backends ready");
  }

  @Test
  void unreachableBackendsDoNotMakeAPanic() {
    admit("cp1", "cp2", "cp3");
    backends.setPanicThreshold(0.5);
    failProbes("cp2", "connect refused");
    failProbes("cp3", "timeout after 1s");
    assertThat(backends.snapshot().panic()).isFalse();
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1");
    assertThat(messages(Level.WARN)).isEmpty();
  }

  @Test
  void panicThresholdAppliesAtOnceAndSurvivesMembershipChanges() {
    admit("cp1", "cp2", "cp3");
    failProbes("cp2", "HTTP 500 [-]etcd");
    failProbes("cp3", "HTTP 500 [-]etcd");
    assertThat(backends.snapshot().panic()).as("no threshold").isFalse();
    published.clear();

    backends.setPanicThreshold(0.5);
    assertThat(published).hasSize(1);
    assertThat(published.get(0).panic()).isTrue();

    backends.replaceMembers(List.of(backend("cp1"), backend("cp2"), backend("cp3"), backend("cp4")));
    assertThat(backends.snapshot().panic()).as("1 of 4 ready, threshold kept").isTrue();
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1", "cp2", "cp3");

    backends.setPanicThreshold(0.0);
    assertThat(backends.snapshot().panic()).isFalse();
    assertThat(names(backends.snapshot().routable())).containsExactly("cp1");
  }
}
