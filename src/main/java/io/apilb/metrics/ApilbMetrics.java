package io.apilb.metrics;

import static com.codahale.metrics.MetricRegistry.name;

import com.codahale.metrics.Clock;
import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;

/**
 * apilb's metrics, declared in one class so the failure taxonomy and dashboards stay in step.
 * Thread-safe; callers on event loops only touch counters and timers (no locks, no I/O).
 */
public final class ApilbMetrics {
  private final MetricRegistry registry;

  private final ApiRequestCounters apiRequests;
  private final LatencyHistograms apiLatency;
  /** Open client connections; exported as a gauge (it goes down too), so kept out of the registry's counters. */
  private final Counter activeConnections = new Counter();

  public ApilbMetrics(MetricRegistry registry) {
    this(registry, 200);
  }

  /** @param maxResources see {@code apilb.metrics.max-resources} */
  public ApilbMetrics(MetricRegistry registry, int maxResources) {
    this.registry = registry;
    // a second ApilbMetrics on one registry (tests) shares the families of the first
    this.apiRequests = shared(MetricNames.BACKEND_API_REQUESTS, new ApiRequestCounters(maxResources));
    this.apiLatency = shared(MetricNames.BACKEND_API_LATENCY, new LatencyHistograms());
    registry.gauge(MetricNames.LISTENER_ACTIVE, () -> activeConnections::getCount);
  }

  public MetricRegistry registry() {
    return registry;
  }

  /**
   * Per-request meters, looked up once: building metric names and Dropwizard's default (locking)
   * reservoir per request cost more than the rest of the exchange.
   */
  private final ConcurrentHashMap<String, BackendMeters> meters = new ConcurrentHashMap<>();

  private final class BackendMeters {
    final Timer latency;
    /** Per request class, counters indexed by status - 100: no boxing or hashing per request. */
    final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> byClassAndStatus = new ConcurrentHashMap<>();
    final String backend;

    BackendMeters(String backend) {
      this.backend = backend;
      this.latency = registry.timer(name(MetricNames.BACKEND_LATENCY, backend),
          () -> new Timer(UnratedMeter.create(), new Histogram(new ThreadLocalWindowReservoir(LATENCY_WINDOW)),
              Clock.defaultClock()));
    }

    Counter requests(String requestClass, int status) {
      AtomicReferenceArray<Counter> byStatus = byClassAndStatus.get(requestClass);
      if (byStatus == null) {
        byStatus = byClassAndStatus.computeIfAbsent(requestClass, k -> new AtomicReferenceArray<>(STATUS_SLOTS));
      }
      int slot = status - 100;
      if (slot < 0 || slot >= STATUS_SLOTS) {
        return registry.counter(name(MetricNames.BACKEND_REQUESTS, backend, requestClass, Integer.toString(status)));
      }
      Counter c = byStatus.get(slot);
      if (c == null) {
        // the registry returns the one counter of that name, whichever thread asks first
        c = registry.counter(name(MetricNames.BACKEND_REQUESTS, backend, requestClass, Integer.toString(status)));
        byStatus.set(slot, c);
      }
      return c;
    }
  }

  /** Latency samples kept per event loop per backend for the summary's quantiles. */
  private static final int LATENCY_WINDOW = 1024;

  /** Status codes 100..599 have a cached slot; anything else is looked up by name each time. */
  private static final int STATUS_SLOTS = 500;

  /** One finished exchange on {@code backend}. */
  public void requestCompleted(String backend, String requestClass, int status, long nanos) {
    BackendMeters m = meters.get(backend);
    if (m == null) {
      m = meters.computeIfAbsent(backend, BackendMeters::new);
    }
    m.requests(requestClass, status).inc();
    m.latency.update(nanos, TimeUnit.NANOSECONDS);
  }

  @SuppressWarnings("unchecked")
  private <T extends com.codahale.metrics.Metric> T shared(String name, T fresh) {
    synchronized (registry) {
      com.codahale.metrics.Metric existing = registry.getMetrics().get(name);
      if (existing != null && existing.getClass() == fresh.getClass()) {
        return (T) existing;
      }
      return registry.register(name, fresh);
    }
  }

  /**
   * One finished exchange on {@code backend}, with what kube-apiserver would call it: the request
   * counters by class and by verb/group/resource/subresource/code, the latency summary, and the
   * latency histogram of the verb's class. No allocation once the series exist.
   *
   * @param verb kube-apiserver's verb in upper case (GET, LIST, WATCH, CREATE, UPDATE, PATCH,
   *     DELETE, DELETECOLLECTION, CONNECT), or the HTTP method of a non-resource request
   * @param group API group, "" for the core group
   * @param resource "" for a non-resource request
   */
  public void requestCompleted(String backend, String requestClass, boolean longRunning, String verb, String group,
      String resource, String subresource, int status, long nanos) {
    requestCompleted(backend, requestClass, status, nanos);
    apiRequests.inc(backend, verb, group, resource, subresource, status);
    apiLatency.observe(backend, ApiVerbs.latencyClass(verb, longRunning), nanos);
  }

  /**
   * The 99th percentile of {@code backend}'s read and write requests since start, in seconds, as
   * the upper bound of the histogram bucket it falls in; NaN before the first request.
   */
  public double shortRequestP99Seconds(String backend) {
    double worst = Double.NaN;
    for (String verbClass : new String[] {"read", "write"}) {
      LatencyHistograms.Child c = apiLatency.child(backend, verbClass);
      if (c != null) {
        double q = c.quantile(0.99);
        worst = Double.isNaN(worst) ? q : Math.max(worst, q);
      }
    }
    return worst;
  }

  /** Registers the live gauges of one backend (idempotent). */
  public void registerBackend(String backend, IntSupplier inFlight, IntSupplier longRunning, IntSupplier ready) {
    registerBackendGauge(backend, name(MetricNames.BACKEND_INFLIGHT, backend), inFlight);
    registerBackendGauge(backend, name(MetricNames.BACKEND_LONGRUNNING, backend), longRunning);
    registerBackendGauge(backend, name(MetricNames.BACKEND_READY, backend), ready);
  }

  /** Registers one more live gauge of {@code backend}, removed with it (idempotent). */
  public void registerBackendGauge(String backend, String metricName, IntSupplier value) {
    registry.gauge(metricName, () -> (Gauge<Integer>) value::getAsInt);
    gaugesByBackend.computeIfAbsent(backend, b -> ConcurrentHashMap.newKeySet()).add(metricName);
  }

  /**
   * Forgets a removed backend's gauges: exactly the names registered for it (matching names by
   * substring would also remove other backends' gauges when a backend is named like a label).
   */
  public void unregisterBackend(String backend) {
    meters.remove(backend);
    readyzChecks.remove(backend);
    apiRequests.remove(backend);
    apiLatency.remove(backend);
    java.util.Set<String> names = gaugesByBackend.remove(backend);
    if (names != null) {
      names.forEach(registry::remove);
    }
  }

  private final ConcurrentHashMap<String, java.util.Set<String>> gaugesByBackend = new ConcurrentHashMap<>();

  /** A probe result: "ok" or a failure kind (status, timeout, connect, tls, protocol). */
  public void probe(String backend, String result) {
    registry.counter(name(MetricNames.BACKEND_PROBES, backend, result)).inc();
  }

  public void retry(String backend, String reason) {
    registry.counter(name(MetricNames.BACKEND_RETRIES, backend, reason)).inc();
  }

  /** Requests moved away from {@code backend} after a failure there, all reasons. */
  public long retries(String backend) {
    String prefix = name(MetricNames.BACKEND_RETRIES, backend) + ".";
    long n = 0;
    for (var e : registry.getCounters((metricName, metric) -> metricName.startsWith(prefix)).entrySet()) {
      n += e.getValue().getCount();
    }
    return n;
  }

  /** A watch on {@code backend} was ended to move it elsewhere. */
  public void rebalancedWatch(String backend) {
    registry.counter(name(MetricNames.BACKEND_REBALANCED, backend)).inc();
  }

  public void reloaded() {
    registry.counter(MetricNames.RELOADS_OK).inc();
  }

  public void reloadFailed() {
    registry.counter(MetricNames.RELOADS_FAILED).inc();
  }

  public void ejection(String backend) {
    registry.counter(name(MetricNames.BACKEND_EJECTIONS, backend)).inc();
  }

  /** A backend's flags changed; {@code to} is its new state word. */
  public void stateTransition(String backend, String to) {
    registry.counter(name(MetricNames.BACKEND_TRANSITIONS, backend, to)).inc();
  }

  public void connectFailure(String backend) {
    registry.counter(name(MetricNames.BACKEND_CONNECT_FAILURES, backend)).inc();
  }

  public void connectionAccepted(String protocol) {
    registry.counter(name(MetricNames.LISTENER_CONNECTIONS, protocol)).inc();
  }

  public Counter activeConnections() {
    return activeConnections;
  }

  /** A new client connection closed at once: "max_connections" or "max_connections_per_source". */
  public void connectionRejected(String reason) {
    registry.counter(name(MetricNames.LISTENER_REJECTED, reason)).inc();
  }

  /** A client connection or request ended by a listener timeout: "request_header", "idle", "request_body_idle". */
  public void listenerTimeout(String timeout) {
    registry.counter(name(MetricNames.LISTENER_TIMEOUTS, timeout)).inc();
  }

  /**
   * A client connection ended in error ({@code reset}: the client reset its TCP connection) or
   * was ended for misbehaving ({@code rapid_reset}: it reset most of its streams before an answer).
   */
  public void clientError(String reason) {
    registry.counter(name(MetricNames.LISTENER_CLIENT_ERRORS, reason)).inc();
  }

  public void tlsHandshakeFailure() {
    registry.counter(MetricNames.LISTENER_TLS_FAILURES).inc();
  }

  /** A client certificate checked after a handshake: "verified", "rejected" or "no_identity". */
  public void clientCertificate(String result) {
    registry.counter(name(MetricNames.LISTENER_CLIENT_CERTIFICATES, result)).inc();
  }

  /** A certificate reload of {@code material} (serving, client_ca, front_proxy_client). */
  public void certificateReload(String material, boolean ok) {
    registry.counter(name(MetricNames.TLS_RELOADS, material, ok ? "ok" : "failed")).inc();
  }

  /** Failed reloads of {@code material} so far (the old material stays in use). */
  public long certificateReloadFailures(String material) {
    return registry.counter(name(MetricNames.TLS_RELOADS, material, "failed")).getCount();
  }

  /** Each backend's readyz checks at its last probe: name -> passed. */
  private final ConcurrentHashMap<String, java.util.Map<String, Boolean>> readyzChecks = new ConcurrentHashMap<>();

  /**
   * The checks a backend's last probe listed, by name ({@code etcd}, {@code shutdown}, ...). A
   * probe that got no verbose body (connect failure, timeout) empties the set: its gauges read NaN
   * rather than a stale pass.
   */
  public void readyzChecks(String backend, java.util.Map<String, Boolean> checks) {
    readyzChecks.put(backend, java.util.Map.copyOf(checks));
    for (String check : checks.keySet()) {
      String metricName = name(MetricNames.BACKEND_READYZ_CHECK, backend, check);
      if (!registry.getGauges().containsKey(metricName)) {
        registry.gauge(metricName, () -> (Gauge<Double>) () -> {
          Boolean ok = readyzChecks.getOrDefault(backend, java.util.Map.of()).get(check);
          return ok == null ? Double.NaN : ok ? 1.0 : 0.0;
        });
        gaugesByBackend.computeIfAbsent(backend, b -> ConcurrentHashMap.newKeySet()).add(metricName);
      }
    }
  }

  /** A discovery read: "ok", "empty" or "failed" (the last two keep the last good set). */
  public void discoveryRead(String result) {
    registry.counter(name(MetricNames.DISCOVERY_READS, result)).inc();
  }

  /** Registers (once) a gauge read at scrape time, e.g. the age of a Lease's last renewal. */
  public void gauge(String metricName, java.util.function.DoubleSupplier value) {
    registry.gauge(metricName, () -> (Gauge<Double>) value::getAsDouble);
  }

  public void proxyFailure(String failure) {
    registry.counter(name(MetricNames.PROXY_FAILURES, failure)).inc();
  }
}
