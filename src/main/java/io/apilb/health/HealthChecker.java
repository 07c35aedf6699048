package io.apilb.health;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.config.HealthConfig;
import io.apilb.health.ProbeResult.Outcome;
import io.apilb.metrics.ApilbMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every backend of a {@link BackendSet} on a jittered interval and applies the results,
 * through {@link ProbeHysteresis}, as health flags.
 *
 * <p>Threading: everything here runs on the single-threaded control executor passed in (shared
 * with other control work): scheduling, result handling and {@link BackendSet#update}. Probes
 * run on event loops and hand their results back to the control executor.
 *
 * <p>Membership: the checker listens to the backend set ({@link BackendSet#addListener}); every
 * published snapshot is reconciled, so backends added by a reload get a session (starting after
 * a random initial delay) and removed ones stop and have their probe connection closed.
 */
public final class HealthChecker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private final HealthConfig config;
  private final BackendSet backends;
  private final Probe probe;
  private final ApilbMetrics metrics;
  private final ScheduledExecutorService control;
  private final Random random;
  private volatile ProbeLog probeLog = new ProbeLog();
  /** Control thread only. */
  private final Map<Backend, Session> sessions = new HashMap<>();
  private volatile boolean started;
  private volatile boolean closed;
  /** This checker's subscription to the backend set, removed on close (a reload replaces the checker). */
  private final java.util.function.Consumer<BackendSnapshot> onSnapshot = this::reconcile;

  public HealthChecker(
      HealthConfig config, BackendSet backends, Probe probe, ApilbMetrics metrics, ScheduledExecutorService control) {
    this(config, backends, probe, metrics, control, new Random());
  }

  /** With an injected random source for interval jitter (tests). */
  public HealthChecker(
      HealthConfig config,
      BackendSet backends,
      Probe probe,
      ApilbMetrics metrics,
      ScheduledExecutorService control,
      Random random) {
    this.config = Objects.requireNonNull(config, "config");
    this.backends = Objects.requireNonNull(backends, "backends");
    this.probe = Objects.requireNonNull(probe, "probe");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.control = Objects.requireNonNull(control, "control");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Records every probe result in {@code probeLog} (shared across checkers replaced by reloads). */
  public HealthChecker withProbeLog(ProbeLog probeLog) {
    this.probeLog = java.util.Objects.requireNonNull(probeLog, "probeLog");
    return this;
  }

  /** Starts probing the current members and follows membership changes. Idempotent. */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    started = true;
    backends.addListener(onSnapshot);
    control.execute(() -> reconcile(backends.snapshot()));
  }

  /** Stops every session and closes the probe's connections (it does not stop the executor). */
  @Override
  public void close() {
    closed = true;
    backends.removeListener(onSnapshot);
    try {
      control.execute(this::stopAll);
    } catch (RejectedExecutionException e) {
      probe.close(); // the control executor is already gone
    }
  }

  private void stopAll() {
    for (Session s : sessions.values()) {
      s.stop();
    }
    sessions.clear();
    probe.close();
  }

  /** Control thread: starts sessions for new members and stops those of removed ones. */
  private void reconcile(BackendSnapshot snap) {
    if (closed) {
      return;
    }
    Set<Backend> members = new HashSet<>();
    for (BackendEntry e : snap.entries()) {
      members.add(e.backend());
      sessions.computeIfAbsent(e.backend(), b -> {
        Session s = new Session(b);
        s.schedule(initialDelayNanos());
        return s;
      });
    }
    sessions.entrySet().removeIf(en -> {
      if (members.contains(en.getKey())) {
        return false;
      }
      en.getValue().stop();
      probe.forget(en.getKey());
      probeLog.forget(en.getKey().name());
      return true;
    });
  }

  /**
   * The first probes of different backends are spread over this much (or the interval, if shorter):
   * enough that they do not go out at the same instant, short enough that a start is ready within a
   * fraction of a second (a backend is admitted on its first good probe) instead of waiting up to a
   * whole interval. The jittered interval spreads the later probes.
   */
  static final long FIRST_PROBE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** Uniform in [0, min(interval, {@link #FIRST_PROBE_WINDOW_NANOS})). */
  long initialDelayNanos() {
    return (long) (random.nextDouble() * Math.min(config.interval().toNanos(), FIRST_PROBE_WINDOW_NANOS));
  }

  /** The interval ± {@code jitter} × interval, so sessions do not fall into step. */
  long nextDelayNanos() {
    double j = Math.max(0, Math.min(0.5, config.jitter()));
    double factor = 1 + j * (2 * random.nextDouble() - 1);
    return (long) (config.interval().toNanos() * factor);
  }

  /** One backend's probe loop: probe, apply on the control thread, schedule the next. */
  private final class Session {
    private final Backend backend;
    private ProbeHysteresis hysteresis = ProbeHysteresis.of(config.rise(), config.fall());
    private ScheduledFuture<?> next;
    private boolean stopped;

    Session(Backend backend) {
      this.backend = backend;
    }

    void schedule(long delayNanos) {
      if (stopped || closed) {
        return;
      }
      try {
        next = control.schedule(this::fire, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        stopped = true;
      }
    }

    void stop() {
      stopped = true;
      if (next != null) {
        next.cancel(false);
      }
    }

    private void fire() {
      if (stopped || closed) {
        return;
      }
      CompletableFuture<ProbeResult> f;
      try {
        f = probe.probe(backend);
      } catch (RuntimeException e) { // a Probe must not throw; stay alive if one does
        f = CompletableFuture.completedFuture(ProbeResult.failure(Outcome.PROTOCOL_ERROR, "probe: " + e));
      }
      // Belt and braces: a probe that never completes still counts as a timeout.
      Duration guard = config.timeout().plusSeconds(1);
      f.orTimeout(guard.toNanos(), TimeUnit.NANOSECONDS).whenComplete((r, t) -> {
        ProbeResult res = r != null ? r : t instanceof TimeoutException
            ? ProbeResult.failure(Outcome.TIMEOUT, "timeout: probe did not complete")
            : ProbeResult.failure(Outcome.PROTOCOL_ERROR, "probe: " + t);
        try {
          control.execute(() -> apply(res));
        } catch (RejectedExecutionException e) {
          stopped = true;
        }
      });
    }

    private void apply(ProbeResult r) {
      if (stopped || closed) {
        return;
      }
      metrics.probe(backend.name(), r.metricTag());
      probeLog.record(backend.name(), r, backends.clock().instant());
      java.util.Map<String, Boolean> checks = new java.util.LinkedHashMap<>();
      r.checks().forEach(c -> checks.put(c.name(), c.ok()));
      metrics.readyzChecks(backend.name(), checks);
      if (!r.ok()) {
        log.debug("probe of {} ({}) failed: {}", backend.name(), backend.address(), r.summary());
      }
      backends.update(backend.name(), state -> {
        ProbeHysteresis.Step step = hysteresis.apply(state, r, backends.clock().instant());
        hysteresis = step.next();
        return step.state();
      });
      schedule(nextDelayNanos());
    }
  }
}
