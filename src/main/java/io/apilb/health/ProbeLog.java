package io.apilb.health;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last probe result of every backend with its time, for the status page (which shows each
 * readyz check by name). Written by the health checker on the control thread, read anywhere; it
 * outlives checker replacements on reload.
 */
public final class ProbeLog {
  /** One backend's last probe. */
  public record Entry(ProbeResult result, Instant at) {}

  private final Map<String, Entry> last = new ConcurrentHashMap<>();

  void record(String backend, ProbeResult result, Instant at) {
    last.put(backend, new Entry(result, at));
  }

  public Optional<Entry> last(String backend) {
    return Optional.ofNullable(last.get(backend));
  }

  /** Drops a removed backend's entry. */
  public void forget(String backend) {
    last.remove(backend);
  }
}
