package io.apilb.backend;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backend membership and state. Writes come from one control thread only (health, operator,
 * reload); event loops read {@link #snapshot()}. Every state change is logged with its cause.
 */
public final class BackendSet {
  private static final Logger log = LoggerFactory.getLogger(BackendSet.class);

  private final Clock clock;
  private final AtomicReference<BackendSnapshot> current;
  private final List<Consumer<BackendSnapshot>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile double panicThreshold;

  public BackendSet(List<Backend> backends, Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    List<BackendEntry> entries = new ArrayList<>();
    for (Backend b : backends) {
      entries.add(new BackendEntry(b, BackendState.initial(clock.instant()), new BackendStats()));
    }
    this.current = new AtomicReference<>(BackendSnapshot.of(1, entries));
  }

  public BackendSnapshot snapshot() {
    return current.get();
  }

  public Clock clock() {
    return clock;
  }

  /** Sets the panic threshold (control thread) and republishes. */
  public void setPanicThreshold(double threshold) {
    this.panicThreshold = threshold;
    BackendSnapshot snap = current.get();
    publish(BackendSnapshot.of(snap.version() + 1, snap.entries(), threshold));
  }

  /** Called when a new snapshot is published (on the control thread). */
  public void addListener(Consumer<BackendSnapshot> listener) {
    listeners.add(listener);
  }

  /** Stops calling {@code listener} (the same object that was added). */
  public void removeListener(Consumer<BackendSnapshot> listener) {
    listeners.remove(listener);
  }

  /**
   * Applies {@code change} to one backend's state and publishes a new snapshot if it changed.
   * Control thread only.
   */
  public void update(String name, UnaryOperator<BackendState> change) {
    BackendSnapshot snap = current.get();
    List<BackendEntry> next = new ArrayList<>(snap.entries().size());
    boolean changed = false;
    for (BackendEntry e : snap.entries()) {
      if (e.name().equals(name)) {
        BackendState before = e.state();
        BackendState after = change.apply(before);
        if (!after.equals(before)) {
          changed = true;
          if (!after.flags().equals(before.flags())) {
            logTransition(e.backend(), before, after);
          }
          e = new BackendEntry(e.backend(), after, e.stats());
        }
      }
      next.add(e);
    }
    if (changed) {
      publish(BackendSnapshot.of(snap.version() + 1, next, panicThreshold));
    }
  }

  /**
   * A change of state word reads "ready -> failed_probe"; a flag change that keeps the word (a
   * pending backend ejected, a failing one drained) names the flags set and cleared instead of
   * the meaningless "pending_first_probe -> pending_first_probe".
   */
  private static void logTransition(Backend backend, BackendState before, BackendState after) {
    if (!before.summary().equals(after.summary())) {
      log.info("backend {} ({}) {} -> {}: {}", backend.name(), backend.address(), before.summary(),
          after.summary(), after.reason());
      return;
    }
    List<String> changes = new ArrayList<>();
    for (HealthFlag f : HealthFlag.values()) {
      if (after.flags().contains(f) != before.flags().contains(f)) {
        changes.add((after.flags().contains(f) ? "+" : "-") + f.label());
      }
    }
    log.info("backend {} ({}) still {}, flags {}: {}", backend.name(), backend.address(), after.summary(),
        String.join(" ", changes), after.reason());
  }

  /** Replaces the membership (reload): kept backends keep their state and counters. */
  public void replaceMembers(List<Backend> backends) {
    BackendSnapshot snap = current.get();
    List<BackendEntry> next = new ArrayList<>();
    for (Backend b : backends) {
      BackendEntry old = snap.entries().stream()
          .filter(e -> e.backend().equals(b)).findFirst().orElse(null);
      next.add(old != null ? old : new BackendEntry(b, BackendState.initial(clock.instant()), new BackendStats()));
    }
    publish(BackendSnapshot.of(snap.version() + 1, next, panicThreshold));
  }

  private void publish(BackendSnapshot snap) {
    BackendSnapshot before = current.get();
    current.set(snap);
    if (snap.panic() != before.panic()) {
      if (snap.panic()) {
        log.warn("panic mode engaged: {} of {} backends ready (threshold {}); spreading requests over {} reachable backends: {}",
            snap.ready().size(), snap.entries().size(), panicThreshold, snap.routable().size(),
            String.join(", ", snap.routable().stream().map(BackendEntry::name).toList()));
      } else {
        log.warn("panic mode released: {} of {} backends ready", snap.ready().size(), snap.entries().size());
      }
    }
    for (Consumer<BackendSnapshot> l : listeners) {
      l.accept(snap);
    }
  }
}
