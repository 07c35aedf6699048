package io.apilb.health;

import io.apilb.backend.Backend;
import java.util.concurrent.CompletableFuture;

/** One active health check of a backend. */
public interface Probe extends AutoCloseable {

  /**
   * Probes {@code backend} once. Never throws; the future always completes (normally, with a
   * {@link ProbeResult}) within the configured timeout. Callers must not overlap two probes of one
   * backend.
   */
  CompletableFuture<ProbeResult> probe(Backend backend);

  /** Forgets a removed backend: closes any connection kept for it. */
  default void forget(Backend backend) {}

  /** Closes every kept connection. */
  @Override
  default void close() {}
}
