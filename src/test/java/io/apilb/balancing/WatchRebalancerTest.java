package io.apilb.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.config.BalancingConfig;
import io.apilb.config.LongRunningStrategy;
import io.apilb.config.ShortRequestStrategy;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.testing.ManualScheduledExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The rebalancer on a virtual-time control executor: rounds run only when the test advances time.
 * Watches are fake handles; a client that loses its watch re-opens it on {@link #rewatchOn} (as
 * the long-running balancer would place it once the newcomer's slow start has passed), or, when
 * that is null, goes away.
 */
class WatchRebalancerTest {
  private final ManualScheduledExecutor control = new ManualScheduledExecutor();
  private final MetricRegistry registry = new MetricRegistry();
  private final WatchRegistry watches = new WatchRegistry();
  private final List<FakeWatch> ended = new ArrayList<>();
  private final BackendSet backends = new BackendSet(
      List.of(backend("cp1"), backend("cp2"), backend("cp3")), control.clock());
  private WatchRebalancer rebalancer;
  private String rewatchOn;

  /** One open watch; ending it is recorded, and its client re-watches right after. */
  private final class FakeWatch implements WatchRegistry.Handle {
    final String backend;
    int endCalls;

    FakeWatch(String backend) {
      this.backend = backend;
    }

    @Override
    public void endGracefully() {
      endCalls++;
      ended.add(this);
      String target = rewatchOn;
      if (target != null) {
        control.execute(() -> open(target, 1));
      }
    }
  }

  private static Backend backend(String name) {
    return new Backend(name, "10.0.0." + name.charAt(2), 6443, Optional.empty());
  }

  private static BalancingConfig balancing(boolean rebalance, double maxShare, int perSecond, Duration slowStart) {
    return new BalancingConfig(ShortRequestStrategy.LEAST_IN_FLIGHT, LongRunningStrategy.LEAST_LONG_RUNNING, slowStart, 0.0,
        rebalance, maxShare, perSecond);
  }

  private void start(BalancingConfig config) {
    rebalancer = new WatchRebalancer(config, backends, watches, control, new ApilbMetrics(registry));
    rebalancer.start();
  }

  private void ready(String... names) {
    for (String name : names) {
      backends.update(name, s -> s.withFlag(HealthFlag.PENDING_FIRST_PROBE, false, "test", control.clock().instant()));
    }
  }

  private void open(String backend, int n) {
    for (int i = 0; i < n; i++) {
      watches.opened(backend, new FakeWatch(backend));
    }
  }

  private List<Integer> counts() {
    return List.of(watches.count("cp1"), watches.count("cp2"), watches.count("cp3"));
  }

  private long rebalanced(String backend) {
    return registry.counter(MetricRegistry.name(MetricNames.BACKEND_REBALANCED, backend)).getCount();
  }

  private void advance(long millis) {
    control.advance(Duration.ofMillis(millis));
  }

  @Test
  void newcomerTriggersAnEpisodeOnlyAfterSlowStart() {
    ready("cp1", "cp2");
    open("cp1", 10);
    open("cp2", 10);
    start(balancing(true, 0.5, 5, Duration.ofSeconds(30)));

    ready("cp3");
    advance(29_999); // the periodic checks at 10 s and 20 s see the episode pending and leave it
    assertThat(ended).isEmpty();
    assertThat(counts()).containsExactly(10, 10, 0);

    advance(1);
    assertThat(ended).hasSize(5);
  }

  @Test
  void firstRoundWaitsAtLeastOneSecondWithoutSlowStart() {
    ready("cp1", "cp2");
    open("cp1", 10);
    start(balancing(true, 1.0, 2, Duration.ZERO));

    ready("cp3");
    advance(999);
    assertThat(ended).isEmpty();
    advance(1);
    assertThat(ended).hasSize(2);
  }

  @Test
  void endsAtMostPerSecondWatchesEachRound() {
    ready("cp1", "cp2");
    open("cp1", 30);
    open("cp2", 30);
    rewatchOn = "cp3";
    start(balancing(true, 1.0, 3, Duration.ZERO));

    ready("cp3");
    for (int round = 1; round <= 5; round++) {
      advance(1000);
      assertThat(ended).as("after round %d", round).hasSize(3 * round);
    }
    assertThat(ended).allSatisfy(w -> {
      assertThat(w.backend).isIn("cp1", "cp2");
      assertThat(w.endCalls).isEqualTo(1);
    });
    assertThat(watches.count("cp1") + watches.count("cp2")).isEqualTo(45);
    assertThat(watches.count("cp3")).isEqualTo(15);
  }

  @Test
  void movesAtMostTheMaxShareOfWatchesInOneEpisode() {
    ready("cp1", "cp2");
    open("cp1", 20);
    open("cp2", 20);
    start(balancing(true, 0.1, 3, Duration.ZERO)); // 10 % of 40 watches: 4

    ready("cp3");
    advance(9_000); // rounds at 1 s, 2 s, 3 s; the first periodic check is at 10 s
    assertThat(ended).hasSize(4);
    assertThat(counts()).containsExactly(18, 18, 0); // still unbalanced: only the budget stopped it
    assertThat(control.queued()).as("only the periodic check remains").isEqualTo(1);
  }

  @Test
  void movesAtLeastOneWatchWhenTheShareRoundsToNone() {
    ready("cp1", "cp2");
    open("cp1", 5);
    start(balancing(true, 0.1, 10, Duration.ZERO)); // 10 % of 5 watches rounds down to 0

    ready("cp3");
    advance(5_000);
    assertThat(ended).hasSize(1);
  }

  @Test
  void stopsMovingOnceBalanced() {
    ready("cp1", "cp2");
    open("cp1", 10);
    open("cp2", 10);
    rewatchOn = "cp3";
    start(balancing(true, 1.0, 100, Duration.ZERO));

    ready("cp3");
    advance(1000);
    assertThat(counts()).containsExactly(7, 7, 6); // average 6.67: nobody above 7
    assertThat(ended).hasSize(6);

    advance(2000);
    assertThat(control.queued()).as("the episode ended; only the periodic check remains").isEqualTo(1);
    advance(30_000); // periodic checks: 6 of an average 6.67 is not starved
    assertThat(ended).hasSize(6);
    assertThat(counts()).containsExactly(7, 7, 6);
  }

  @Test
  void doesNothingWhenRebalancingIsOff() {
    ready("cp1", "cp2");
    open("cp1", 10);
    open("cp2", 10);
    start(balancing(false, 1.0, 100, Duration.ZERO));

    ready("cp3");
    advance(60_000); // a newcomer and six periodic checks that find cp3 starved
    assertThat(ended).isEmpty();
    assertThat(rebalanced("cp1") + rebalanced("cp2")).isZero();

    rebalancer.reconfigure(balancing(true, 1.0, 100, Duration.ZERO));
    advance(11_000); // the next periodic check starts an episode
    assertThat(ended).isNotEmpty();
  }

  @Test
  void reconfiguringRebalancingOffAppliesToTheNextNewcomer() {
    ready("cp1", "cp2");
    open("cp1", 10);
    start(balancing(true, 1.0, 100, Duration.ZERO));
    rebalancer.reconfigure(balancing(false, 1.0, 100, Duration.ZERO));

    ready("cp3");
    advance(5_000);
    assertThat(ended).isEmpty();
  }

  @Test
  void starvedBackendTriggersAnEpisodeFromThePeriodicCheck() {
    ready("cp1", "cp2", "cp3"); // nobody joins: cp3 blipped, lost its watches, never left rotation
    open("cp1", 10);
    open("cp2", 10);
    open("cp3", 2); // average 7.33: 2 is below 70 % of it
    rewatchOn = "cp3";
    start(balancing(true, 1.0, 100, Duration.ZERO));

    advance(10_000); // the check at 10 s schedules the first round a second later
    assertThat(ended).isEmpty();
    advance(1000);
    assertThat(ended).hasSize(4); // average 7.33: nobody above 8
    assertThat(counts()).containsExactly(8, 8, 6);
  }

  @Test
  void backendHoldingSeventyPercentOfTheAverageIsNotStarved() {
    ready("cp1", "cp2", "cp3");
    open("cp1", 100);
    open("cp2", 100);
    open("cp3", 61); // average 87: 61 is above 70 % of it (60.9)
    start(balancing(true, 1.0, 100, Duration.ZERO));

    advance(60_000);
    assertThat(ended).isEmpty();

    watches.closed("cp3", watches.any("cp3").orElseThrow()); // 60 of an average 86.67 is below 60.67
    advance(11_000);
    assertThat(ended).isNotEmpty();
  }

  @Test
  void periodicCheckLeavesAHandfulOfWatchesAlone() {
    ready("cp1", "cp2", "cp3");
    open("cp1", 5); // fewer than two per ready backend
    start(balancing(true, 1.0, 100, Duration.ZERO));

    advance(60_000);
    assertThat(ended).isEmpty();

    open("cp1", 1);
    advance(11_000);
    assertThat(ended).isNotEmpty();
  }

  @Test
  void starvedBackendThatNoMoveCanHelpStartsNoEpisode() {
    ready("cp1", "cp2", "cp3");
    open("cp1", 3);
    open("cp2", 3);
    open("cp3", 1); // below 70 % of the average 2.33, yet nobody holds more than its ceiling, 3
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Logger logger = (Logger) LoggerFactory.getLogger(WatchRebalancer.class);
    logger.addAppender(logged);
    try {
      start(balancing(true, 1.0, 100, Duration.ZERO));
      advance(10_000);
      assertThat(control.queued()).as("no round scheduled, only the periodic check").isEqualTo(1);
      advance(50_000);
      assertThat(ended).isEmpty();
      assertThat(logged.list).as("no episode announced every check").isEmpty();
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  void firstBackendsToBecomeReadyAreNotNewcomers() {
    open("cp1", 10); // watches can exist only through ready backends, but the registry does not care
    start(balancing(true, 1.0, 100, Duration.ZERO));

    ready("cp1"); // cold start: nobody was ready before
    advance(5_000);
    assertThat(ended).isEmpty();

    ready("cp2"); // cp1 was ready: cp2 is a newcomer
    advance(1000);
    assertThat(ended).hasSize(5);
  }

  @Test
  void secondNewcomerDuringAnEpisodeDoesNotDoubleTheRate() {
    ready("cp1");
    open("cp1", 30);
    start(balancing(true, 1.0, 3, Duration.ZERO));

    ready("cp2");
    advance(1000);
    assertThat(ended).hasSize(3);

    ready("cp3");
    advance(1000);
    assertThat(ended).hasSize(6);
    advance(1000);
    assertThat(ended).hasSize(9);
  }

  @Test
  void countsEachMovedWatchInTheMetricOfItsBackend() {
    ready("cp1", "cp2");
    open("cp1", 12);
    open("cp2", 6);
    rewatchOn = "cp3";
    start(balancing(true, 1.0, 100, Duration.ZERO));

    ready("cp3");
    advance(1000);
    // average 6: only cp1 is above it, and only cp1's watches move
    assertThat(ended).hasSize(6).allSatisfy(w -> assertThat(w.backend).isEqualTo("cp1"));
    assertThat(rebalanced("cp1")).isEqualTo(6);
    assertThat(rebalanced("cp2")).isZero();
    assertThat(rebalanced("cp3")).isZero();
    assertThat(counts()).containsExactly(6, 6, 6);
  }
}
