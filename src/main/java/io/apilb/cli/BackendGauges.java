package io.apilb.cli;

import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.HealthFlag;
import io.apilb.balancing.WatchRegistry;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-backend metrics: gauges that read the latest snapshot by backend name (so one
 * registration survives every reload that keeps the backend), and a counter of state changes.
 * Backends come and go with reloads, so their gauges are registered and removed one by one.
 */
final class BackendGauges {
  private final ApilbMetrics metrics;
  private final BackendSet backends;
  private final WatchRegistry watches;
  /** Each backend's last state summary; written on the control thread, where snapshots are published. */
  private final Map<String, String> lastStates = new ConcurrentHashMap<>();

  BackendGauges(ApilbMetrics metrics, BackendSet backends, WatchRegistry watches) {
    this.metrics = metrics;
    this.backends = backends;
    this.watches = watches;
  }

  /** Registers the gauges of every current backend and starts counting state transitions. */
  void install() {
    for (BackendEntry e : backends.snapshot().entries()) {
      register(e.name());
    }
    backends.addListener(this::countTransitions);
  }

  /** Gauges of one backend, read from the latest snapshot (so they follow reloads). */
  void register(String name) {
    metrics.registerBackendGauge(name, MetricRegistry.name(MetricNames.BACKEND_WATCHES, name), () -> watches.count(name));
    metrics.registerBackend(name,
        () -> backends.snapshot().byName(name).map(x -> x.stats().inFlight()).orElse(0),
        () -> backends.snapshot().byName(name).map(x -> x.stats().activeLongRunning()).orElse(0),
        () -> backends.snapshot().byName(name).map(x -> x.ready() ? 1 : 0).orElse(0));
    metrics.registerBackendGauge(name, MetricRegistry.name(MetricNames.BACKEND_HTTP2_CONNECTIONS, name),
        () -> backends.snapshot().byName(name).map(x -> x.stats().http2Connections()).orElse(0));
    metrics.registerBackendGauge(name, MetricRegistry.name(MetricNames.BACKEND_HTTP2_STREAMS, name),
        () -> backends.snapshot().byName(name).map(x -> x.stats().http2Streams()).orElse(0));
    for (HealthFlag flag : HealthFlag.values()) {
      metrics.registerBackendGauge(name, MetricRegistry.name(MetricNames.BACKEND_FLAG, name, flag.label()),
          () -> backends.snapshot().byName(name).map(x -> x.state().flags().contains(flag) ? 1 : 0).orElse(0));
    }
  }

  /** Removes exactly the gauges of a backend a reload took away. */
  void unregister(String name) {
    metrics.unregisterBackend(name);
  }

  /** Counts state changes per backend (control thread: snapshots are published there). */
  private void countTransitions(BackendSnapshot snap) {
    for (BackendEntry e : snap.entries()) {
      String now = e.state().summary();
      String before = lastStates.put(e.name(), now);
      if (before != null && !before.equals(now)) {
        metrics.stateTransition(e.name(), now);
      }
    }
  }
}
