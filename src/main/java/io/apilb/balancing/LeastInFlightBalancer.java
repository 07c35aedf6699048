package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import java.util.function.Supplier;

/**
 * Power of two choices: of two distinct random candidates, the one with fewer short requests in
 * flight per unit of weight. Nearly as good as a global least-loaded scan, without its herding: every
 * event loop sees slightly stale counters, and two random picks keep them from all choosing the
 * same "least loaded" backend at once.
 */
public final class LeastInFlightBalancer implements Balancer {
  private final Supplier<RandomGenerator> random;

  public LeastInFlightBalancer() {
    this(ThreadLocalRandom::current);
  }

  /** With an injected random source (tests). */
  public LeastInFlightBalancer(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public Optional<BackendEntry> select(BackendSnapshot snapshot, SelectionContext ctx) {
    List<BackendEntry> c = Candidates.of(snapshot, ctx);
    int n = c.size();
    if (n == 0) {
      return Optional.empty();
    }
    if (n == 1) {
      return Optional.of(c.get(0));
    }
    RandomGenerator r = random.get();
    int i = r.nextInt(n);
    int j = r.nextInt(n - 1);
    if (j >= i) {
      j++;
    }
    BackendEntry a = c.get(i);
    BackendEntry b = c.get(j);
    // compare load(a)/weight(a) with load(b)/weight(b) without division; open watches are not
    // counted: a backend holding many of them is not busier for a short request
    long la = (long) a.stats().shortLoad() * b.backend().weight();
    long lb = (long) b.stats().shortLoad() * a.backend().weight();
    return Optional.of(la <= lb ? a : b);
  }
}
