package io.apilb.backend;

import java.util.List;
import java.util.Optional;

/**
 * An immutable view of all backends, published by the control thread. Event loops read the
 * latest snapshot per request and never see a half-applied change.
 *
 * @param ready backends with no health flag
 * @param routable where new requests may go: {@code ready}, or in panic mode every backend not
 *     known dead (see {@link BackendState#panicCandidate()})
 * @param panic fewer backends are ready than the panic threshold requires
 */
public record BackendSnapshot(
    long version, List<BackendEntry> entries, List<BackendEntry> ready, List<BackendEntry> routable, boolean panic) {

  public BackendSnapshot {
    entries = List.copyOf(entries);
    ready = List.copyOf(ready);
    routable = List.copyOf(routable);
  }

  /** A snapshot without panic mode. */
  public static BackendSnapshot of(long version, List<BackendEntry> entries) {
    return of(version, entries, 0.0);
  }

  /**
   * @param panicThreshold fraction of backends that must be ready; below it the routable set
   *     widens to every panic candidate (0 disables)
   */
  public static BackendSnapshot of(long version, List<BackendEntry> entries, double panicThreshold) {
    List<BackendEntry> ready = entries.stream().filter(BackendEntry::ready).toList();
    boolean panic = panicThreshold > 0 && !entries.isEmpty()
        && (double) ready.size() / entries.size() < panicThreshold;
    List<BackendEntry> routable = ready;
    if (panic) {
      List<BackendEntry> alive = entries.stream().filter(e -> e.state().panicCandidate()).toList();
      routable = alive.size() > ready.size() ? alive : ready;
    }
    return new BackendSnapshot(version, entries, ready, routable, panic && routable.size() > ready.size());
  }

  /** Why no backend takes requests, naming each backend's state and reason (for a client's 503). */
  public String whyNoneReady() {
    if (entries.isEmpty()) {
      return "no backend is configured";
    }
    StringBuilder b = new StringBuilder("no ready kube-apiserver backend:");
    for (BackendEntry e : entries) {
      b.append(' ').append(e.name()).append(" is ").append(e.state().summary())
          .append(" (").append(e.state().reason()).append(");");
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  public Optional<BackendEntry> byName(String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
