package io.apilb.controlplane;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A leader-election Lease as last read: who holds it, when it was last renewed, how often it
 * changed hands.
 *
 * @param holder spec.holderIdentity, "" when nobody holds it
 * @param renewTime spec.renewTime, if set
 * @param acquireTime spec.acquireTime, if set
 * @param leaseDurationSeconds spec.leaseDurationSeconds, 0 if unset
 * @param transitions spec.leaseTransitions
 * @param error why the last read failed ("" after a good read; the fields keep the last good values)
 * @param readAt when it was last read successfully (EPOCH: never)
 */
public record LeaseStatus(String namespace, String name, String holder, Optional<Instant> renewTime,
    Optional<Instant> acquireTime, int leaseDurationSeconds, int transitions, String error, Instant readAt) {

  public static LeaseStatus unread(String namespace, String name) {
    return new LeaseStatus(namespace, name, "", Optional.empty(), Optional.empty(), 0, 0, "not read yet", Instant.EPOCH);
  }

  /** How long ago the holder last renewed, at {@code now}. */
  public Optional<Duration> renewAge(Instant now) {
    return renewTime.map(t -> Duration.between(t, now));
  }

  /** The holder has not renewed within its lease duration: leadership is stuck or lost. */
  public boolean expired(Instant now) {
    return leaseDurationSeconds > 0 && renewAge(now).map(a -> a.toSeconds() > leaseDurationSeconds).orElse(false);
  }

  LeaseStatus failed(String why) {
    return new LeaseStatus(namespace, name, holder, renewTime, acquireTime, leaseDurationSeconds, transitions, why, readAt);
  }
}
