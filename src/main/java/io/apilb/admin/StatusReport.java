package io.apilb.admin;

import java.time.Instant;
import java.util.List;

/**
 * Everything the status page shows, as one immutable value: the admin port renders it as HTML at
 * {@code /} and as JSON at {@code /status}. Built by whoever knows the control plane (the
 * composition root gathers it from the backend set, the probes, the API reads and the metrics).
 *
 * @param versionSkew the backends report different apiserver versions (an upgrade in progress)
 */
public record StatusReport(
    Instant generatedAt,
    int readyBackends,
    int totalBackends,
    boolean panic,
    boolean versionSkew,
    String identity,
    Discovery discovery,
    List<BackendStatus> backends,
    List<Lease> leases,
    List<Transition> transitions) {

  public StatusReport {
    backends = List.copyOf(backends);
    leases = List.copyOf(leases);
    transitions = List.copyOf(transitions);
  }

  /**
   * One apiserver.
   *
   * @param reason why the latest flag change happened, and {@code since} when
   * @param checks each {@code /readyz} check by name from the last probe
   * @param version gitVersion from {@code /version} ("" until read)
   * @param p99Seconds 99th percentile of reads and writes (histogram bucket bound), null before any
   */
  public record BackendStatus(String name, String address, String state, List<String> flags, String reason,
      Instant since, String lastProbe, Instant lastProbeAt, List<Check> checks, String version,
      double requestsPerSecond, Double p99Seconds, int inFlight, int watches, int longRunning, long requests,
      long retries) {
    public BackendStatus {
      flags = List.copyOf(flags);
      checks = List.copyOf(checks);
    }
  }

  /** One {@code /readyz} check. */
  public record Check(String name, boolean ok) {}

  /**
   * A leader-election Lease.
   *
   * @param renewAgeSeconds seconds since the last renewal, null when never renewed or not read
   * @param stale the holder has not renewed within leaseDurationSeconds
   * @param error why the last read failed ("" when it did not)
   */
  public record Lease(String namespace, String name, String holder, Double renewAgeSeconds, int leaseDurationSeconds,
      int transitions, Instant acquireTime, boolean stale, String error) {}

  /**
   * Backend discovery.
   *
   * @param message "" while the last read was good, else why the last good set is kept
   */
  public record Discovery(String mode, String source, List<String> endpoints, Instant lastSuccess, String message) {
    public Discovery {
      endpoints = List.copyOf(endpoints);
    }
  }

  /** A backend's state change. */
  public record Transition(Instant at, String backend, String from, String to, String reason) {}
}
