package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.config.BalancingConfig;
import io.apilb.metrics.ApilbMetrics;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves watches to a backend that joins or returns. client-go keeps its watches where they were
 * opened, so after a restart one apiserver would hold none for up to an hour. When a backend
 * becomes ready, this ends a bounded, rate-limited share of the watches on the most loaded
 * backends, cleanly at an event boundary; their clients re-watch from their resourceVersion, and
 * the long-running balancer places them on the newcomer once its slow-start window has passed.
 * Nothing but watches is interrupted. Runs on the control thread.
 */
public final class WatchRebalancer {
  private static final Logger log = LoggerFactory.getLogger(WatchRebalancer.class);
  /** A backend holding less than this fraction of the average share of watches is starved. */
  private static final double STARVED_SHARE = 0.7;

  private volatile BalancingConfig config;
  private final BackendSet backends;
  private final WatchRegistry watches;
  private final ScheduledExecutorService control;
  private final ApilbMetrics metrics;
  /** Control thread only. */
  private Set<String> readyBefore = new HashSet<>();
  private ScheduledFuture<?> episode;
  private int budget;
  private long episodeEndsAt;

  public WatchRebalancer(BalancingConfig config, BackendSet backends, WatchRegistry watches,
      ScheduledExecutorService control, ApilbMetrics metrics) {
    this.config = config;
    this.backends = backends;
    this.watches = watches;
    this.control = control;
    this.metrics = metrics;
  }

  /** New settings apply from the next episode (reload). */
  public void reconfigure(BalancingConfig next) {
    this.config = next;
  }

  /** Follows the backend set, and checks for imbalance every 10 s; call once, before traffic. */
  public void start() {
    readyBefore = names(backends.snapshot().ready());
    backends.addListener(this::onSnapshot);
    control.scheduleAtFixedRate(this::checkImbalance, 10, 10, TimeUnit.SECONDS);
  }

  /**
   * A backend that blipped for less than the probes' fall count never left rotation, yet lost
   * every watch it held; and one rebalancing's budget may not have been enough. Treat a backend
   * holding under 70 % of its share like a newcomer.
   */
  private void checkImbalance() {
    if (!config.rebalance() || (episode != null && !episode.isDone())) {
      return;
    }
    List<BackendEntry> ready = backends.snapshot().ready();
    if (ready.size() < 2) {
      return;
    }
    int total = 0;
    for (BackendEntry e : ready) {
      total += watches.count(e.name());
    }
    if (total < 2 * ready.size()) {
      return;
    }
    double average = (double) total / ready.size();
    Set<String> starved = new HashSet<>();
    int most = 0;
    for (BackendEntry e : ready) {
      int n = watches.count(e.name());
      most = Math.max(most, n);
      if (n < average * STARVED_SHARE) {
        starved.add(e.name());
      }
    }
    // With few watches a backend can be starved while nobody holds more than the rounded-up
    // average: a round would move nothing, and an episode would only be announced every check.
    if (!starved.isEmpty() && most > Math.ceil(average)) {
      startEpisode(starved);
    }
  }

  private void onSnapshot(BackendSnapshot snap) {
    Set<String> ready = names(snap.ready());
    Set<String> newcomers = new HashSet<>(ready);
    newcomers.removeAll(readyBefore);
    boolean someoneWasReady = !readyBefore.isEmpty();
    readyBefore = ready;
    if (config.rebalance() && someoneWasReady && !newcomers.isEmpty()) {
      startEpisode(newcomers);
    }
  }

  private void startEpisode(Set<String> newcomers) {
    int total = watches.total();
    if (total == 0) {
      return;
    }
    budget = Math.max(1, (int) Math.floor(total * config.rebalanceMaxShare()));
    episodeEndsAt = System.nanoTime() + config.slowStart().toNanos() + TimeUnit.SECONDS.toNanos(30);
    log.info("backend(s) {} joined or hold too few watches: rebalancing up to {} of {} watches, {} per second",
        newcomers, budget, total,
        config.rebalancePerSecond());
    if (episode == null || episode.isDone()) {
      // Moved watches are placed by the long-running balancer, which ramps a newcomer's weight
      // over the slow-start window: moving them earlier would send most of them back.
      long startMillis = Math.max(1000, config.slowStart().toMillis());
      episode = control.scheduleAtFixedRate(this::round, startMillis, 1000, TimeUnit.MILLISECONDS);
    }
  }

  /** One round: ends up to per-second watches on backends above the average. */
  private void round() {
    if (budget <= 0 || System.nanoTime() > episodeEndsAt) {
      episode.cancel(false);
      return;
    }
    List<BackendEntry> routable = backends.snapshot().ready();
    if (routable.size() < 2) {
      return;
    }
    int total = 0;
    for (BackendEntry e : routable) {
      total += watches.count(e.name());
    }
    double average = (double) total / routable.size();
    int allowance = Math.min(config.rebalancePerSecond(), budget);
    for (int moved = 0; moved < allowance; moved++) {
      BackendEntry busiest = null;
      int most = 0;
      for (BackendEntry e : routable) {
        int n = watches.count(e.name());
        if (n > most) {
          most = n;
          busiest = e;
        }
      }
      if (busiest == null || most <= Math.ceil(average)) {
        if (moved == 0 && total > 0) {
          episode.cancel(false); // balanced
        }
        return;
      }
      var open = watches.any(busiest.name());
      if (open.isEmpty()) {
        return;
      }
      WatchRegistry.Handle h = open.get();
      watches.closed(busiest.name(), h); // counted as moved now; the stream ends on its event loop
      h.endGracefully();
      budget--;
      metrics.rebalancedWatch(busiest.name());
    }
  }

  private static Set<String> names(List<BackendEntry> entries) {
    Set<String> s = new HashSet<>();
    for (BackendEntry e : entries) {
      s.add(e.name());
    }
    return s;
  }
}
