package io.apilb.testing;

import io.apilb.proxy.AccessLog;
import io.apilb.proxy.AccessLogEntry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An enabled {@link AccessLog} keeping every entry. */
public final class RecordingAccessLog implements AccessLog {
  private final List<AccessLogEntry> entries = new CopyOnWriteArrayList<>();

  @Override
  public void record(AccessLogEntry entry) {
    entries.add(entry);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  public List<AccessLogEntry> entries() {
    return entries;
  }
}
