package io.apilb.cli;

import io.apilb.admin.StatusReport;
import io.apilb.admin.StatusReport.BackendStatus;
import io.apilb.admin.StatusReport.Check;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.BackendState;
import io.apilb.backend.HealthFlag;
import io.apilb.balancing.WatchRegistry;
import io.apilb.controlplane.ControlPlaneReader;
import io.apilb.controlplane.DiscoveryStatus;
import io.apilb.controlplane.LeaseStatus;
import io.apilb.health.ProbeLog;
import io.apilb.metrics.ApilbMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Builds the status page's {@link StatusReport} from the parts that know each piece: the backend
 * set (state, flags, counters), the probe log (readyz checks), the control-plane reader
 * (versions, Leases, discovery), the watch registry and the metrics. Requests per second come
 * from sampling each backend's request count every {@link #SAMPLE_SECONDS}.
 *
 * <p>Control thread only: the admin server asks for a report there, and samples are taken there.
 */
final class StatusReports implements Supplier<StatusReport> {
  static final int SAMPLE_SECONDS = 2;

  private final BackendSet backends;
  private final ProbeLog probes;
  private final ControlPlaneReader reader;
  private final WatchRegistry watches;
  private final ApilbMetrics metrics;
  private final Transitions transitions;
  private final Map<String, long[]> lastSample = new HashMap<>();
  private final Map<String, Double> rates = new HashMap<>();

  StatusReports(BackendSet backends, ProbeLog probes, ControlPlaneReader reader, WatchRegistry watches,
      ApilbMetrics metrics, Transitions transitions) {
    this.backends = backends;
    this.probes = probes;
    this.reader = reader;
    this.watches = watches;
    this.metrics = metrics;
    this.transitions = transitions;
  }

  void start(ScheduledExecutorService control) {
    control.scheduleAtFixedRate(this::sample, SAMPLE_SECONDS, SAMPLE_SECONDS, TimeUnit.SECONDS);
  }

  /** Requests per second of each backend since the previous sample. */
  private void sample() {
    long now = System.nanoTime();
    Map<String, long[]> seen = new HashMap<>();
    for (BackendEntry e : backends.snapshot().entries()) {
      long count = e.stats().requests();
      long[] before = lastSample.get(e.name());
      if (before != null && now > before[1]) {
        rates.put(e.name(), (count - before[0]) * 1e9 / (now - before[1]));
      }
      seen.put(e.name(), new long[] {count, now});
    }
    lastSample.clear();
    lastSample.putAll(seen);
    rates.keySet().retainAll(seen.keySet());
  }

  @Override
  public StatusReport get() {
    Instant now = backends.clock().instant();
    BackendSnapshot snap = backends.snapshot();
    List<BackendStatus> rows = new ArrayList<>();
    for (BackendEntry e : snap.entries()) {
      rows.add(row(e));
    }
    long versions = rows.stream().map(BackendStatus::version).filter(v -> !v.isEmpty()).distinct().count();
    List<StatusReport.Lease> leases = reader.leases().stream().map(l -> lease(l, now)).toList();
    return new StatusReport(now, snap.ready().size(), snap.entries().size(), snap.panic(), versions > 1,
        reader.identity(), discovery(reader.discovery()), rows, leases, transitions.recent());
  }

  private BackendStatus row(BackendEntry e) {
    BackendState s = e.state();
    List<Check> checks = probes.last(e.name())
        .map(p -> p.result().checks().stream().map(c -> new Check(c.name(), c.ok())).toList())
        .orElse(List.of());
    double p99 = metrics.shortRequestP99Seconds(e.name());
    return new BackendStatus(e.name(), e.backend().address(), s.summary(),
        s.flags().stream().sorted().map(HealthFlag::label).toList(), s.reason(), s.since(), s.lastProbe(),
        s.lastProbeAt().equals(Instant.EPOCH) ? null : s.lastProbeAt(), checks, reader.version(e.name()),
        rates.getOrDefault(e.name(), 0.0), Double.isNaN(p99) ? null : p99, e.stats().inFlight(),
        watches.count(e.name()), e.stats().activeLongRunning(), e.stats().requests(), metrics.retries(e.name()));
  }

  private static StatusReport.Lease lease(LeaseStatus l, Instant now) {
    Double age = l.renewAge(now).map(d -> d.toMillis() / 1000.0).orElse(null);
    return new StatusReport.Lease(l.namespace(), l.name(), l.holder(), age, l.leaseDurationSeconds(), l.transitions(),
        l.acquireTime().orElse(null), l.expired(now), l.error());
  }

  private static StatusReport.Discovery discovery(DiscoveryStatus d) {
    return new StatusReport.Discovery(d.mode().name().toLowerCase(java.util.Locale.ROOT), d.source(),
        d.endpoints().stream().map(x -> x.host() + ":" + x.port()).toList(),
        d.lastSuccess().equals(Instant.EPOCH) ? null : d.lastSuccess(), d.message());
  }
}
