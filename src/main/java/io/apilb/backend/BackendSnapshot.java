package io.apilb.backend;

import java.util.List;
import java.util.Optional;

/**
 * An immutable view of all backends, published by the control thread. Event loops read the
 * latest snapshot per request and never see a half-applied change.
 */
public record BackendSnapshot(long version, List<BackendEntry> entries, List<BackendEntry> ready) {

  public BackendSnapshot {
    entries = List.copyOf(entries);
    ready = List.copyOf(ready);
  }

  public static BackendSnapshot of(long version, List<BackendEntry> entries) {
    return new BackendSnapshot(version, entries, entries.stream().filter(BackendEntry::ready).toList());
  }

  public Optional<BackendEntry> byName(String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
