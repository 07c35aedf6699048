package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Plain round robin over the routable (ready, or in panic mode reachable) backends, skipping those already tried. */
public final class RoundRobinBalancer implements Balancer {
  private final AtomicInteger next = new AtomicInteger();

  @Override
  public Optional<BackendEntry> select(BackendSnapshot snapshot, SelectionContext ctx) {
    List<BackendEntry> ready = snapshot.routable();
    int n = ready.size();
    if (n == 0) {
      return Optional.empty();
    }
    int start = Math.floorMod(next.getAndIncrement(), n);
    for (int i = 0; i < n; i++) {
      BackendEntry candidate = ready.get((start + i) % n);
      if (!ctx.tried().contains(candidate.name())) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
