package io.apilb.balancing;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The watches open through apilb, by backend: what the rebalancer may move. Exchanges register
 * from event loops; the control thread reads.
 */
public final class WatchRegistry {
  /** One open watch stream. */
  public interface Handle {
    /**
     * Ends the client's stream cleanly at the next event boundary (at once if it is at one), so
     * the client re-watches from its last resourceVersion. Safe to call from any thread.
     */
    void endGracefully();
  }

  private final Map<String, Set<Handle>> byBackend = new ConcurrentHashMap<>();

  public void opened(String backend, Handle h) {
    byBackend.computeIfAbsent(backend, b -> ConcurrentHashMap.newKeySet()).add(h);
  }

  public void closed(String backend, Handle h) {
    Set<Handle> s = byBackend.get(backend);
    if (s != null) {
      s.remove(h);
    }
  }

  public int count(String backend) {
    Set<Handle> s = byBackend.get(backend);
    return s == null ? 0 : s.size();
  }

  /** Every open watch, on every backend. */
  public List<Handle> all() {
    return byBackend.values().stream().flatMap(java.util.Set::stream).toList();
  }

  public int total() {
    return byBackend.values().stream().mapToInt(java.util.Set::size).sum();
  }

  /** One watch open on {@code backend}, if any (no copy of the set: the rebalancer asks per move). */
  public java.util.Optional<Handle> any(String backend) {
    Set<Handle> s = byBackend.get(backend);
    if (s == null) {
      return java.util.Optional.empty();
    }
    java.util.Iterator<Handle> it = s.iterator();
    return it.hasNext() ? java.util.Optional.of(it.next()) : java.util.Optional.empty();
  }
}
