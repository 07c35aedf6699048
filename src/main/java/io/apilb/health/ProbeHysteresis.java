package io.apilb.health;

import io.apilb.backend.BackendState;
import io.apilb.backend.HealthFlag;
import java.time.Instant;

/**
 * Turns a stream of probe results into health flags, with hysteresis (HAProxy's rise/fall,
 * Envoy's healthy/unhealthy thresholds). Immutable and pure: {@link #apply} returns the next
 * counters together with the next state, so the rules can be tested as tables.
 *
 * <p>Rules, in order:
 *
 * <ul>
 *   <li>Every result is recorded as the backend's last probe.
 *   <li>{@code [-]shutdown} sets {@link HealthFlag#DRAINING} at once: an apiserver that started
 *       shutting down never comes back without a restart, so there is nothing to count.
 *   <li>{@code fall} consecutive failures (any kind, shutdown included) set
 *       {@link HealthFlag#FAILED_PROBE}, with the probe summary as the reason.
 *   <li>{@code rise} consecutive successes clear {@code PENDING_FIRST_PROBE}, {@code FAILED_PROBE}
 *       and {@code DRAINING}.
 *   <li>First admission (like Envoy): a backend that has never been admitted and has not failed
 *       {@code fall} probes needs a single success. Restarting apilb must not keep a healthy
 *       control plane out of rotation for {@code rise × interval}; readyz already aggregates the
 *       apiserver's own start-up checks.
 * </ul>
 *
 * Flags owned by others ({@code EJECTED}, {@code DISABLED_BY_OPERATOR}) are never touched.
 */
public record ProbeHysteresis(int rise, int fall, int successes, int failures) {

  /** The next counters and the next backend state. */
  public record Step(ProbeHysteresis next, BackendState state) {}

  public ProbeHysteresis {
    if (rise < 1 || fall < 1) {
      throw new IllegalArgumentException("rise and fall must be >= 1");
    }
  }

  public static ProbeHysteresis of(int rise, int fall) {
    return new ProbeHysteresis(rise, fall, 0, 0);
  }

  public Step apply(BackendState state, ProbeResult result, Instant now) {
    BackendState s = state.withProbe(result.summary(), now);
    String reason = "probe: " + result.summary();
    if (result.ok()) {
      int ok = successes + 1;
      boolean firstAdmission = s.flags().contains(HealthFlag.PENDING_FIRST_PROBE)
          && !s.flags().contains(HealthFlag.FAILED_PROBE);
      if (ok >= rise || firstAdmission) {
        String why = firstAdmission && ok < rise
            ? "probe: first probe ok"
            : "probe: " + ok + " consecutive successes";
        s = s.withFlag(HealthFlag.PENDING_FIRST_PROBE, false, why, now)
            .withFlag(HealthFlag.FAILED_PROBE, false, why, now)
            .withFlag(HealthFlag.DRAINING, false, why, now);
      }
      return new Step(new ProbeHysteresis(rise, fall, Math.min(ok, rise), 0), s);
    }
    int failed = failures + 1;
    if (result.shuttingDown()) {
      s = s.withFlag(HealthFlag.DRAINING, true, reason, now);
    }
    if (failed >= fall) {
      s = s.withFlag(HealthFlag.FAILED_PROBE, true, reason + " (" + failed + " consecutive failures)", now);
    }
    return new Step(new ProbeHysteresis(rise, fall, 0, Math.min(failed, fall)), s);
  }
}
