package io.apilb.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The events {@link SimulatedCluster}'s store emits: the latest ones retained so a watch can
 * resume from an older resourceVersion, and each handed to the live watches of its kind. Not
 * thread-safe: the cluster calls it under its store lock, which is what keeps a watch's replay and
 * its live events gap-free and in order.
 */
final class EventLog {
  private final int historyLimit;
  private final ArrayDeque<SimulatedCluster.Event> history = new ArrayDeque<>();
  private final List<Listener> listeners = new ArrayList<>();
  /** The resourceVersion of the newest event dropped from the history; older ones cannot be replayed. */
  private long evictedUpTo;

  /** A live watch of one kind. */
  record Listener(ResourceKind kind, Consumer<SimulatedCluster.Event> sink) {}

  EventLog(int historyLimit) {
    this.historyLimit = historyLimit;
  }

  /** Retains {@code e}, dropping the oldest beyond the limit, and hands it to the live watches of its kind. */
  void append(SimulatedCluster.Event e) {
    history.addLast(e);
    while (history.size() > historyLimit) {
      evictedUpTo = history.removeFirst().rv();
    }
    for (Listener l : listeners) {
      if (l.kind() == e.kind()) {
        l.sink().accept(e);
      }
    }
  }

  /**
   * Hands {@code sink} the retained events of {@code kind} after {@code fromRv}, oldest first.
   *
   * @throws ApiException 410 Expired if events after {@code fromRv} are no longer retained
   */
  void replayAfter(ResourceKind kind, long fromRv, Consumer<SimulatedCluster.Event> sink) {
    if (fromRv < evictedUpTo) {
      throw ApiException.expired(fromRv);
    }
    for (SimulatedCluster.Event e : history) {
      if (e.rv() > fromRv && e.kind() == kind) {
        sink.accept(e);
      }
    }
  }

  Listener subscribe(ResourceKind kind, Consumer<SimulatedCluster.Event> sink) {
    Listener l = new Listener(kind, sink);
    listeners.add(l);
    return l;
  }

  void unsubscribe(Listener l) {
    listeners.remove(l);
  }

  int listenerCount() {
    return listeners.size();
  }
}
