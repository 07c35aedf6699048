package io.apilb.controlplane;

import com.codahale.metrics.MetricRegistry;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Reads the configured leader-election Leases (coordination.k8s.io/v1): holder, renew and
 * acquire times, duration and transitions, and exports their age and transitions as gauges.
 * A failed read keeps the last values and says why. Control thread only.
 */
final class LeaseReads {
  private final ControlPlaneReader reader;
  private final AtomicReferenceArray<LeaseStatus> statuses;

  LeaseReads(ControlPlaneReader reader, List<String> leases, ApilbMetrics metrics) {
    this.reader = reader;
    this.statuses = new AtomicReferenceArray<>(leases.size());
    for (int i = 0; i < leases.size(); i++) {
      String[] nsName = leases.get(i).split("/");
      statuses.set(i, LeaseStatus.unread(nsName[0], nsName[1]));
      int at = i;
      metrics.gauge(MetricRegistry.name(MetricNames.LEASE_RENEW_AGE, nsName[0], nsName[1]), () -> statuses.get(at)
          .renewAge(reader.clock().instant()).map(d -> d.toMillis() / 1000.0).orElse(Double.NaN));
      metrics.gauge(MetricRegistry.name(MetricNames.LEASE_DURATION, nsName[0], nsName[1]),
          () -> statuses.get(at).leaseDurationSeconds());
      metrics.gauge(MetricRegistry.name(MetricNames.LEASE_TRANSITIONS, nsName[0], nsName[1]),
          () -> statuses.get(at).transitions());
    }
  }

  List<LeaseStatus> statuses() {
    List<LeaseStatus> out = new ArrayList<>();
    for (int i = 0; i < statuses.length(); i++) {
      out.add(statuses.get(i));
    }
    return out;
  }

  CompletableFuture<?> read() {
    List<CompletableFuture<?>> reads = new ArrayList<>();
    for (int i = 0; i < statuses.length(); i++) {
      int at = i;
      LeaseStatus before = statuses.get(i);
      String path = "/apis/coordination.k8s.io/v1/namespaces/" + before.namespace() + "/leases/" + before.name();
      reads.add(reader.getJson(path).handle((lease, t) -> {
        statuses.set(at, t == null ? parse(before, lease.path("spec"), ControlPlaneReader.now(reader))
            : before.failed(ControlPlaneReader.why(t)));
        return null;
      }));
    }
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]));
  }

  static LeaseStatus parse(LeaseStatus before, JsonValue spec, Instant now) {
    return new LeaseStatus(before.namespace(), before.name(), spec.path("holderIdentity").asText(""),
        time(spec.path("renewTime")), time(spec.path("acquireTime")), spec.path("leaseDurationSeconds").asInt(0),
        spec.path("leaseTransitions").asInt(0), "", now);
  }

  /** A MicroTime (RFC 3339, microseconds) or Time value. */
  private static Optional<Instant> time(JsonValue value) {
    if (!value.isTextual() || value.asText().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(value.asText()).toInstant());
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
