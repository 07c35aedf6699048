package io.apilb.backend;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable health state of one backend: a set of flags, each with the reason of the last
 * transition, and the last probe outcome. Built only by the control thread.
 *
 * @param flags reasons the backend is out of rotation; empty means ready
 * @param reason human-readable cause of the latest transition (e.g. "probe: HTTP 500 [-]etcd")
 * @param since when the latest transition happened
 * @param lastProbe summary of the last probe ("ok", "HTTP 500", "timeout", "connect refused")
 * @param lastProbeAt when the last probe completed, or {@code Instant.EPOCH} if never
 */
public record BackendState(
    Set<HealthFlag> flags, String reason, Instant since, String lastProbe, Instant lastProbeAt) {

  public BackendState {
    flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(lastProbe, "lastProbe");
    Objects.requireNonNull(lastProbeAt, "lastProbeAt");
  }

  public static BackendState initial(Instant now) {
    return new BackendState(
        Set.of(HealthFlag.PENDING_FIRST_PROBE), "waiting for first probes", now, "none", Instant.EPOCH);
  }

  /** Ready for new requests: no flag set. */
  public boolean ready() {
    return flags.isEmpty();
  }

  /** A state word for humans and {@code /backends}: ready, or the most important flag. */
  public String summary() {
    if (flags.isEmpty()) {
      return "ready";
    }
    for (HealthFlag f : HealthFlag.values()) {
      if (flags.contains(f)) {
        return f.label();
      }
    }
    return "unknown";
  }

  /**
   * Whether the backend answered HTTP at its last probe (even with an error status): it is alive,
   * unlike one that refused the connection, failed TLS or timed out. Panic mode uses only these.
   */
  public boolean answeredLastProbe() {
    return lastProbe.equals("ok") || lastProbe.startsWith("HTTP");
  }

  /** Not known dead: alive at its last probe, and neither draining nor disabled by an operator. */
  public boolean panicCandidate() {
    return answeredLastProbe() && !flags.contains(HealthFlag.DRAINING)
        && !flags.contains(HealthFlag.DISABLED_BY_OPERATOR);
  }

  public BackendState withFlag(HealthFlag flag, boolean set, String why, Instant now) {
    EnumSet<HealthFlag> next = flags.isEmpty() ? EnumSet.noneOf(HealthFlag.class) : EnumSet.copyOf(flags);
    boolean changed = set ? next.add(flag) : next.remove(flag);
    if (!changed) {
      return this;
    }
    return new BackendState(next, why, now, lastProbe, lastProbeAt);
  }

  public BackendState withProbe(String summary, Instant at) {
    return new BackendState(flags, reason, since, summary, at);
  }
}
