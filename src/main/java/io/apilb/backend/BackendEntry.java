package io.apilb.backend;

import java.util.Objects;

/** A backend as one snapshot sees it: identity, health state and (shared, live) counters. */
public record BackendEntry(Backend backend, BackendState state, BackendStats stats) {
  public BackendEntry {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(stats, "stats");
  }

  public String name() {
    return backend.name();
  }

  public boolean ready() {
    return state.ready();
  }
}
