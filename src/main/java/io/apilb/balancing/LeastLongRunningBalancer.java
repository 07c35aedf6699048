package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * For watches, followed logs, exec, attach and port-forward: the candidate holding the fewest
 * long-running requests per unit of effective weight. Long-running requests stay for minutes to
 * an hour, so their count, not the momentary in-flight, is the load that matters.
 *
 * <p>Slow start: a backend that became ready less than {@code slowStart} ago has its weight
 * scaled by the elapsed fraction (at least a tenth), so a restarted apiserver takes new watches
 * gradually while its watch cache warms instead of absorbing every re-list at once.
 */
public final class LeastLongRunningBalancer implements Balancer {
  private static final double MIN_RAMP = 0.1;

  private final Duration slowStart;
  private final Clock clock;
  private final Supplier<RandomGenerator> random;

  public LeastLongRunningBalancer(Duration slowStart, Clock clock) {
    this(slowStart, clock, ThreadLocalRandom::current);
  }

  /** With injected clock and random source (tests). */
  public LeastLongRunningBalancer(Duration slowStart, Clock clock, Supplier<RandomGenerator> random) {
    this.slowStart = slowStart;
    this.clock = clock;
    this.random = random;
  }

  @Override
  public Optional<BackendEntry> select(BackendSnapshot snapshot, SelectionContext ctx) {
    List<BackendEntry> c = Candidates.of(snapshot, ctx);
    int n = c.size();
    if (n == 0) {
      return Optional.empty();
    }
    long now = clock.millis();
    int start = random.get().nextInt(n); // ties go to a random candidate, not always the first
    BackendEntry best = null;
    double bestScore = Double.MAX_VALUE;
    for (int k = 0; k < n; k++) {
      BackendEntry e = c.get((start + k) % n);
      double score = (e.stats().longRunningLoad() + 1) / effectiveWeight(e, now);
      if (score < bestScore) {
        bestScore = score;
        best = e;
      }
    }
    return Optional.of(best);
  }

  /** Weight scaled by how far the backend is into its slow-start window. */
  double effectiveWeight(BackendEntry e, long nowMillis) {
    double weight = e.backend().weight();
    if (slowStart.isZero() || !e.ready()) {
      return weight;
    }
    long readyFor = nowMillis - e.state().since().toEpochMilli();
    double ramp = Math.min(1.0, Math.max(MIN_RAMP, (double) readyFor / slowStart.toMillis()));
    return weight * ramp;
  }
}
