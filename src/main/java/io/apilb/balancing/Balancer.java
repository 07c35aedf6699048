package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.util.Optional;

/**
 * Chooses one ready backend for one request. Implementations are small, pure, thread-safe and
 * non-blocking: they run on event loops for every request.
 */
public interface Balancer {

  /**
   * @return a ready backend not in {@code ctx.tried()}, or empty when there is none
   */
  Optional<BackendEntry> select(BackendSnapshot snapshot, SelectionContext ctx);
}
