package io.apilb.controlplane;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.BackendSnapshot;
import io.apilb.config.ControlPlaneConfig;
import io.apilb.config.DiscoveryMode;
import io.apilb.controlplane.DiscoveryStatus.Endpoint;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what apilb shows and uses of the control plane, each on its own period, through the
 * balanced backends with apilb's identity: the {@code default/kubernetes} EndpointSlices
 * (discovery, see {@link Discovery}), the leader-election Leases ({@link LeaseReads}) and every
 * backend's {@code /version} (asked of that backend itself).
 *
 * <p>Threading: scheduling, parsing and state changes happen on the control executor; requests
 * run on event loops through the non-blocking {@link ApiClient}. Results are published as
 * immutable values read by any thread (the status page).
 */
public final class ControlPlaneReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneReader.class);
  private final ControlPlaneConfig config;
  private final BackendSet backends;
  private final ApiClient client;
  private final ApiCredentials credentials;
  private final ScheduledExecutorService control;
  private final Clock clock;
  private final Discovery discovery;
  private final LeaseReads leases;
  private final Map<String, String> versions = new ConcurrentHashMap<>();
  private int next;
  private volatile boolean closed;
  private volatile Future<Void> connectionsClosed;

  public ControlPlaneReader(ControlPlaneConfig config, BackendSet backends, ApiClient client,
      ApiCredentials credentials, ScheduledExecutorService control, ApilbMetrics metrics,
      Consumer<List<Endpoint>> onDiscovered) {
    this.config = config;
    this.backends = backends;
    this.client = client;
    this.credentials = credentials;
    this.control = control;
    this.clock = backends.clock();
    this.discovery = new Discovery(this, config.discoveryMode(), metrics, onDiscovered);
    this.leases = new LeaseReads(this, config.leases(), metrics);
    metrics.gauge(MetricNames.DISCOVERY_BACKENDS, () -> discovery.status().endpoints().size());
  }

  /** Starts the periodic reads (discovery first, at once). */
  public void start() {
    if (config.discoveryMode() == DiscoveryMode.ENDPOINTSLICE) {
      every(config.discoveryInterval(), discovery::read, Duration.ZERO);
    }
    if (!config.leases().isEmpty() && !config.leaseInterval().isZero()) {
      every(config.leaseInterval(), leases::read, Duration.ofMillis(200));
    }
    if (!config.versionInterval().isZero()) {
      every(config.versionInterval(), this::readVersions, Duration.ofMillis(300));
    }
  }

  public DiscoveryStatus discovery() {
    return discovery.status();
  }

  public List<LeaseStatus> leases() {
    return leases.statuses();
  }

  /** The gitVersion each backend reported at its last {@code /version} read ("" until then). */
  public String version(String backend) {
    return versions.getOrDefault(backend, "");
  }

  /** How apilb authenticates its reads, for the status page. */
  public String identity() {
    try {
      return credentials.current().description();
    } catch (RuntimeException e) {
      return "unavailable: " + e.getMessage();
    }
  }

  Clock clock() {
    return clock;
  }

  /** Stops the reads and closes their connections without waiting; see {@link #connectionsClosed()}. */
  @Override
  public void close() {
    closed = true;
    connectionsClosed = client.close();
  }

  /**
   * The future of the read connections' close, begun by {@link #close()}: the runtime waits on it
   * before it shuts the event loops down (a connection left to their shutdown would leak its TLS
   * handler's pending request). Completed at once when {@link #close()} has not run.
   */
  public Future<Void> connectionsClosed() {
    Future<Void> f = connectionsClosed;
    return f != null ? f : ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
  }

  /**
   * Runs {@code read} now (after {@code first}) and then {@code period} after each read has
   * finished, so that a slow backend never piles reads up.
   */
  private void every(Duration period, java.util.function.Supplier<CompletableFuture<?>> read, Duration first) {
    Runnable[] loop = new Runnable[1];
    loop[0] = () -> {
      if (closed) {
        return;
      }
      CompletableFuture<?> f;
      try {
        f = read.get();
      } catch (RuntimeException e) {
        log.warn("control-plane read failed", e);
        f = CompletableFuture.completedFuture(null);
      }
      f.whenComplete((r, t) -> schedule(loop[0], period));
    };
    schedule(loop[0], first);
  }

  private void schedule(Runnable task, Duration delay) {
    try {
      control.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      closed = true; // shutting down
    }
  }

  /**
   * {@code GET path} through the next balanced backend (ready ones; the configured ones while none
   * is), completing on the control executor. Fails with the backend's status and message on a
   * non-200 answer.
   */
  CompletableFuture<JsonValue> getJson(String path) {
    Backend b = pick();
    if (b == null) {
      return CompletableFuture.failedFuture(new IOException("no backend to read " + path + " through"));
    }
    return getJson(b, path);
  }

  CompletableFuture<JsonValue> getJson(Backend b, String path) {
    ApiCredential credential;
    try {
      credential = credentials.current();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    // handleAsync: every outcome, failures of the event loop included, continues on the control thread
    return client.get(b, path, credential).handleAsync((r, t) -> {
      if (t != null) {
        throw t instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(t);
      }
      if (!r.ok()) {
        throw new ApiStatusException(r.status(), b.name() + " answered " + r.status() + " to GET " + path + ": "
            + message(r));
      }
      try {
        return JsonValue.parse(r.body());
      } catch (IOException e) {
        throw new IllegalStateException(b.name() + " sent unreadable JSON for " + path, e);
      }
    }, control);
  }

  private static String message(ApiResponse r) {
    try {
      String m = JsonValue.parse(r.body()).path("message").asText();
      return m.isEmpty() ? r.text().strip() : m;
    } catch (IOException e) {
      return r.text().strip();
    }
  }

  /** Round robin over the routable backends, or every backend when none is routable. */
  private Backend pick() {
    BackendSnapshot snap = backends.snapshot();
    List<BackendEntry> from = snap.routable().isEmpty() ? snap.entries() : snap.routable();
    if (from.isEmpty()) {
      return null;
    }
    next = (next + 1) % from.size();
    return from.get(next).backend();
  }

  private CompletableFuture<?> readVersions() {
    List<CompletableFuture<?>> reads = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (BackendEntry e : backends.snapshot().entries()) {
      String name = e.name();
      names.add(name);
      reads.add(getJson(e.backend(), "/version").handle((v, t) -> {
        versions.put(name, t == null ? v.path("gitVersion").asText("unknown") : "unreadable");
        return null;
      }));
    }
    versions.keySet().retainAll(names);
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]));
  }

  /** A non-200 answer. */
  static final class ApiStatusException extends RuntimeException {
    final int status;

    ApiStatusException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  static String why(Throwable t) {
    Throwable c = t;
    while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
  }

  static Instant now(ControlPlaneReader r) {
    return r.clock.instant();
  }
}
