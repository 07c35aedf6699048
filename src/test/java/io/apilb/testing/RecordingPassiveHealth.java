package io.apilb.testing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.PassiveHealth;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link PassiveHealth} that records what it was told: "success cp1", "failure cp1: why", "shutting-down cp1: why". */
public final class RecordingPassiveHealth implements PassiveHealth {
  private final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public void onSuccess(BackendEntry backend) {
    events.add("success " + backend.name());
  }

  @Override
  public void onFailure(BackendEntry backend, String what) {
    events.add("failure " + backend.name() + ": " + what);
  }

  @Override
  public void onShuttingDown(BackendEntry backend, String what) {
    events.add("shutting-down " + backend.name() + ": " + what);
  }

  public List<String> events() {
    return events;
  }
}
