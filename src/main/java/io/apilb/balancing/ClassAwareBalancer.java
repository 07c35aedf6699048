package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import io.apilb.config.BalancingConfig;
import java.time.Clock;
import java.util.Optional;

/**
 * Short requests and long-running ones are placed by different strategies: the first by
 * momentary load, the second by how many streams each backend already holds.
 */
public final class ClassAwareBalancer implements Balancer {
  private final Balancer shortRequests;
  private final Balancer longRunning;

  public ClassAwareBalancer(Balancer shortRequests, Balancer longRunning) {
    this.shortRequests = shortRequests;
    this.longRunning = longRunning;
  }

  /** The balancer that {@code apilb.balancing.*} describes. */
  public static ClassAwareBalancer of(BalancingConfig config, Clock clock) {
    Balancer s = switch (config.shortRequests()) {
      case LEAST_IN_FLIGHT -> new LeastInFlightBalancer();
      case ROUND_ROBIN -> new RoundRobinBalancer();
    };
    Balancer l = switch (config.longRunning()) {
      case LEAST_LONG_RUNNING -> new LeastLongRunningBalancer(config.slowStart(), clock);
      case ROUND_ROBIN -> new RoundRobinBalancer();
    };
    return new ClassAwareBalancer(s, l);
  }

  @Override
  public Optional<BackendEntry> select(BackendSnapshot snapshot, SelectionContext ctx) {
    return ctx.requestClass().longRunning()
        ? longRunning.select(snapshot, ctx)
        : shortRequests.select(snapshot, ctx);
  }
}
