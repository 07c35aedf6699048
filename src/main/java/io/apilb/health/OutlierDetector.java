package io.apilb.health;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.HealthFlag;
import io.apilb.backend.PassiveHealth;
import io.apilb.config.OutlierConfig;
import io.apilb.metrics.ApilbMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health between probes (after Envoy's outlier detection). Exchanges report on event
 * loops; state changes run on the control thread:
 * <ul>
 *   <li>{@code consecutive-failures} connect failures or 5xx in a row eject a backend for a
 *       back-off that doubles with each ejection (capped); once it expires, the next successful
 *       probe re-admits it. The last routable backend is never ejected.
 *   <li>A rejection that only a shutting-down apiserver sends moves the backend to draining at
 *       once, without waiting for the next probe; probes clear it when the backend is back.
 * </ul>
 */
public final class OutlierDetector implements PassiveHealth {
  private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);
  private static final long RECHECK_MILLIS = 500;

  private final OutlierConfig config;
  private final BackendSet backends;
  private final ScheduledExecutorService control;
  private final ApilbMetrics metrics;
  /** Control thread only. */
  private final Map<String, Integer> ejections = new HashMap<>();

  public OutlierDetector(OutlierConfig config, BackendSet backends, ScheduledExecutorService control, ApilbMetrics metrics) {
    this.config = config;
    this.backends = backends;
    this.control = control;
    this.metrics = metrics;
  }

  @Override
  public void onSuccess(BackendEntry backend) {
    backend.stats().succeeded();
  }

  @Override
  public void onFailure(BackendEntry backend, String what) {
    int inARow = backend.stats().failed();
    if (config.consecutiveFailures() > 0 && inARow == config.consecutiveFailures()) {
      onControl(() -> eject(backend.name(), inARow + " consecutive failures, last: " + what));
    }
  }

  @Override
  public void onShuttingDown(BackendEntry backend, String what) {
    if (backend.state().flags().contains(HealthFlag.DRAINING)) {
      return;
    }
    onControl(() -> backends.update(backend.name(), s ->
        s.withFlag(HealthFlag.DRAINING, true, "passive: " + what, backends.clock().instant())));
  }

  /**
   * Hands a state change to the control thread. Requests still finishing while apilb shuts down
   * (an HTTP/2 stream closing after the control thread stopped) report failures nobody needs:
   * those are dropped instead of throwing on an event loop.
   */
  private void onControl(Runnable change) {
    try {
      control.execute(change);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      log.debug("passive health change dropped: apilb is shutting down");
    }
  }

  /** Control thread. */
  private void eject(String name, String why) {
    BackendSnapshot snap = backends.snapshot();
    BackendEntry e = snap.byName(name).orElse(null);
    if (e == null || e.state().flags().contains(HealthFlag.EJECTED)) {
      return;
    }
    if (snap.routable().size() <= 1 && snap.routable().contains(e)) {
      log.warn("backend {} would be ejected ({}) but it is the last routable backend; keeping it", name, why);
      // Count afresh: onFailure fires only when the run reaches the threshold exactly, so a run
      // left to grow past it would never be looked at again until a success.
      e.stats().succeeded();
      return;
    }
    int n = ejections.merge(name, 1, Integer::sum);
    Duration backoff = backoff(n);
    metrics.ejection(name);
    backends.update(name, s -> s.withFlag(HealthFlag.EJECTED, true,
        "ejected for " + backoff.toSeconds() + "s: " + why, backends.clock().instant()));
    e.stats().succeeded(); // start counting afresh after the ejection
    long expiresAt = backends.clock().millis() + backoff.toMillis();
    control.schedule(() -> readmitWhenProbed(name, expiresAt), backoff.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Control thread: clears the ejection once a probe after the back-off succeeded. */
  private void readmitWhenProbed(String name, long expiredAt) {
    BackendEntry e = backends.snapshot().byName(name).orElse(null);
    if (e == null || !e.state().flags().contains(HealthFlag.EJECTED)) {
      return;
    }
    boolean probedOkSince = e.state().lastProbe().equals("ok") && e.state().lastProbeAt().toEpochMilli() >= expiredAt;
    if (probedOkSince) {
      // Requests that were in flight at the ejection kept failing and counting meanwhile; the run
      // may be past the threshold, where onFailure would never fire again. Start with a clean record.
      e.stats().succeeded();
      backends.update(name, s -> s.withFlag(HealthFlag.EJECTED, false,
          "ejection ended: probe ok", backends.clock().instant()));
      return;
    }
    control.schedule(() -> readmitWhenProbed(name, expiredAt), RECHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** base × 2^(n-1), capped at the maximum. */
  Duration backoff(int ejectionNumber) {
    long base = config.baseEjectionTime().toMillis();
    long max = config.maxEjectionTime().toMillis();
    long millis = base;
    for (int i = 1; i < ejectionNumber && millis < max; i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, max));
  }
}
