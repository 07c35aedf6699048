package io.apilb.metrics;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jvm.CachedThreadStatesGaugeSet;
import com.codahale.metrics.jvm.ClassLoadingGaugeSet;
import com.codahale.metrics.jvm.FileDescriptorRatioGauge;
import com.codahale.metrics.jvm.GarbageCollectorMetricSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.instrumentation.dropwizard5.labels.CustomLabelMapper;
import io.prometheus.metrics.instrumentation.dropwizard5.labels.MapperConfig;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Exposes a Dropwizard registry in the Prometheus text format 0.0.4 with the client_java
 * libraries: the Dropwizard bridge ({@link DropwizardExports} with a {@link CustomLabelMapper})
 * turns the dotted names of {@link MetricNames} into labelled families, {@link LabelledMetric}s
 * (families whose label values may contain dots, such as API groups) give their own snapshots,
 * and {@link PrometheusTextFormatWriter} writes them. The writer merges the many snapshots of one
 * family that the bridge produces (one per Dropwizard metric) into one {@code # TYPE} block; the
 * exporter only puts a HELP text that describes each family in place of the bridge's generic one.
 *
 * <p>Label values from name segments must not contain dots (use {@code http1}, not
 * {@code http/1.1}); a name with an extra segment matches no rule and is exported unlabelled
 * under its sanitised dotted name.
 *
 * <p>JVM metrics: the {@code metrics-jvm} gauge sets are registered under {@code jvm.*}. Thread-safe.
 */
public final class PrometheusExporter {
  /** The Content-Type of {@link #scrape()}: {@code text/plain; version=0.0.4; charset=utf-8}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** Dropwizard glob, Prometheus family name, label names for the glob's {@code *} in order, HELP. */
  /**
   * A Dropwizard metric (its name, then one dot-separated part per label) exported as
   * {@code name} with {@code labels}.
   */
  private record Mapping(String metric, String name, List<String> labels, String help) {
    /** The mapper's pattern: the metric's name, then one wildcard per label. */
    String match() {
      return metric + ".*".repeat(labels.size());
    }
  }

  private static final List<Mapping> MAPPINGS = List.of(
      // The exact name first: the mapper uses the first matching rule.
      new Mapping(MetricNames.LISTENER_ACTIVE, "apilb_listener_active_connections", List.of(),
          "Client connections open now"),
      new Mapping(MetricNames.BACKEND_REQUESTS, "apilb_backend_requests", List.of("backend", "class", "code"),
          "Requests relayed to a backend by request class (short, long_running, upgrade) and response code"),
      new Mapping(MetricNames.BACKEND_LATENCY, "apilb_backend_request_duration_seconds", List.of("backend"),
          "Duration of requests relayed to a backend (long-running ones for their whole life); quantiles over the "
              + "last 1024 requests of each I/O thread"),
      new Mapping(MetricNames.BACKEND_INFLIGHT, "apilb_backend_inflight_requests", List.of("backend"),
          "Requests a backend is serving now, long-running ones included"),
      new Mapping(MetricNames.BACKEND_LONGRUNNING, "apilb_backend_longrunning_requests", List.of("backend"),
          "Watches, logs -f, exec, attach and port-forward streams open on a backend now"),
      new Mapping(MetricNames.BACKEND_READY, "apilb_backend_ready", List.of("backend"),
          "1 while the backend is in rotation (no health flag), else 0"),
      new Mapping(MetricNames.BACKEND_PROBES, "apilb_backend_probes", List.of("backend", "result"),
          "Readyz probes of a backend by result: ok, status (non-200), timeout, connect, tls, protocol"),
      new Mapping(MetricNames.BACKEND_RETRIES, "apilb_backend_retries", List.of("backend", "reason"),
          "Requests moved to another backend after a failure on this one, by reason"),
      new Mapping(MetricNames.BACKEND_CONNECT_FAILURES, "apilb_backend_connect_failures", List.of("backend"),
          "Failed TCP or TLS connection attempts to a backend"),
      new Mapping(MetricNames.BACKEND_EJECTIONS, "apilb_backend_ejections", List.of("backend"),
          "Times passive outlier detection ejected a backend"),
      new Mapping(MetricNames.BACKEND_REBALANCED, "apilb_backend_rebalanced_watches", List.of("backend"),
          "Watches on a backend ended cleanly to move them to a backend that joined"),
      new Mapping(MetricNames.BACKEND_WATCHES, "apilb_backend_watches", List.of("backend"),
          "Watches open on a backend now"),
      new Mapping(MetricNames.BACKEND_TRANSITIONS, "apilb_backend_transitions", List.of("backend", "state"),
          "Health state changes of a backend, by the state entered"),
      new Mapping(MetricNames.BACKEND_FLAG, "apilb_backend_flag", List.of("backend", "flag"),
          "1 while a backend carries the health flag, else 0"),
      new Mapping(MetricNames.LISTENER_CONNECTIONS, "apilb_listener_connections", List.of("protocol"),
          "Accepted client connections by negotiated protocol"),
      new Mapping(MetricNames.LISTENER_CLIENT_ERRORS, "apilb_listener_client_errors", List.of("reason"),
          "Client connections that ended in error (reset) or were ended for misbehaving (rapid_reset), by reason"),
      new Mapping(MetricNames.PROXY_FAILURES, "apilb_proxy_failures", List.of("failure"),
          "Requests apilb answered itself (or the client left), by failure"),
      new Mapping(MetricNames.BACKEND_HTTP2_CONNECTIONS, "apilb_backend_http2_connections", List.of("backend"),
          "HTTP/2 connections open to a backend"),
      new Mapping(MetricNames.BACKEND_HTTP2_STREAMS, "apilb_backend_http2_streams", List.of("backend"),
          "Streams open on a backend's HTTP/2 connections"),
      new Mapping(MetricNames.LISTENER_REJECTED, "apilb_listener_rejected_connections", List.of("reason"),
          "Client connections closed at once because a connection limit was reached, by limit"),
      new Mapping(MetricNames.LISTENER_TIMEOUTS, "apilb_listener_timeouts", List.of("timeout"),
          "Client connections or requests ended by a listener timeout, by timeout"),
      new Mapping(MetricNames.LISTENER_CLIENT_CERTIFICATES, "apilb_listener_client_certificates",
          List.of("result"), "Client certificates checked after a handshake, by result"),
      new Mapping(MetricNames.TLS_RELOADS, "apilb_tls_reloads", List.of("material", "result"),
          "Certificate reloads by material and result"),
      new Mapping(MetricNames.LISTENER_TLS_FAILURES, "apilb_listener_tls_handshake_failures", List.of(),
          "Client TLS handshakes that failed"),
      new Mapping(MetricNames.RELOADS_OK, "apilb_config_reloads", List.of(), "Configuration reloads applied"),
      new Mapping(MetricNames.RELOADS_FAILED, "apilb_config_reload_failures", List.of(),
          "Configuration reloads rejected (the running configuration stayed)"),
      new Mapping(MetricNames.BALANCING_PANIC, "apilb_balancing_panic", List.of(),
          "1 while panic mode spreads requests over backends not known dead"),
      new Mapping(MetricNames.DISCOVERY_BACKENDS, "apilb_discovery_backends", List.of(),
          "Apiservers in the last good discovery result"),
      new Mapping(MetricNames.DISCOVERY_READS, "apilb_discovery_reads", List.of("result"),
          "Reads of the default/kubernetes EndpointSlices by result: ok, empty (kept the last good set), failed"),
      new Mapping(MetricNames.LEASE_RENEW_AGE, "apilb_lease_renew_age_seconds", List.of("namespace", "lease"),
          "Seconds since the leader-election Lease was last renewed (compare with its lease duration)"),
      new Mapping(MetricNames.LEASE_DURATION, "apilb_lease_duration_seconds", List.of("namespace", "lease"),
          "The Lease's leaseDurationSeconds: a holder that has not renewed for longer has lost it"),
      new Mapping(MetricNames.LEASE_TRANSITIONS, "apilb_lease_transitions", List.of("namespace", "lease"),
          "The Lease's leaseTransitions: how often leadership changed hands"),
      new Mapping(MetricNames.BACKEND_READYZ_CHECK, "apilb_backend_readyz_check", List.of("backend", "check"),
          "1 while the named /readyz check passes on a backend at its last probe, else 0"));

  /** Gauges whose value is not a number (the bridge would log and skip them on every scrape). */
  private static final Set<String> EXCLUDED = Set.of("jvm.threads.deadlocks");

  private final MetricRegistry registry;
  private final CustomLabelMapper mapper;
  private final Map<String, String> help = new HashMap<>();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final DropwizardExports bridge;

  /** Exports {@code registry}, registering the JVM gauge sets in it first (once). */
  public PrometheusExporter(MetricRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    registerJvmMetrics(registry);
    List<MapperConfig> configs = new ArrayList<>();
    for (Mapping m : MAPPINGS) {
      Map<String, String> labels = new LinkedHashMap<>();
      for (int i = 0; i < m.labels().size(); i++) {
        labels.put(m.labels().get(i), "${" + i + "}");
      }
      configs.add(new MapperConfig(m.match(), m.name(), labels));
      help.put(m.name(), m.help());
    }
    this.mapper = new CustomLabelMapper(configs);
    MetricFilter plain = (name, metric) -> !EXCLUDED.contains(name) && !(metric instanceof LabelledMetric);
    this.bridge = new DropwizardExports(registry, plain, mapper);
  }

  /** Registers the {@code metrics-jvm} gauge sets under {@code jvm.*}, unless already there. */
  public static synchronized void registerJvmMetrics(MetricRegistry registry) {
    if (registry.getNames().stream().anyMatch(n -> n.startsWith("jvm."))) {
      return;
    }
    registry.register("jvm.memory", new MemoryUsageGaugeSet());
    registry.register("jvm.gc", new GarbageCollectorMetricSet());
    registry.register("jvm.threads", new CachedThreadStatesGaugeSet(5, TimeUnit.SECONDS));
    registry.register("jvm.classloader", new ClassLoadingGaugeSet());
    registry.register("jvm.buffers", new BufferPoolGauges());
    registry.register("jvm.fd.usage", new FileDescriptorRatioGauge());
  }

  /** The registry in the Prometheus text format 0.0.4. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      scrape(out);
    } catch (IOException e) {
      throw new IllegalStateException(e); // not thrown by a byte array
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Writes the registry to {@code out} in the Prometheus text format 0.0.4. */
  public void scrape(OutputStream out) throws IOException {
    writer.write(out, collect());
  }

  /** The registry as snapshots: the bridge's, with apilb's HELP texts, and the labelled families. */
  MetricSnapshots collect() {
    MetricSnapshots.Builder result = MetricSnapshots.builder();
    for (MetricSnapshot s : bridge.collect()) {
      result.metricSnapshot(withHelp(s));
    }
    for (com.codahale.metrics.Metric m : registry.getMetrics().values()) {
      if (m instanceof LabelledMetric family) {
        result.metricSnapshot(family.snapshot());
      }
    }
    return result.build();
  }

  /** {@code s} with the HELP text of its family, where apilb has one. */
  private MetricSnapshot withHelp(MetricSnapshot s) {
    String name = s.getMetadata().getName();
    String text = help.get(name);
    if (text == null) {
      return s;
    }
    MetricMetadata meta = new MetricMetadata(name, text);
    if (s instanceof CounterSnapshot c) {
      return new CounterSnapshot(meta, c.getDataPoints());
    }
    if (s instanceof GaugeSnapshot g) {
      return new GaugeSnapshot(meta, g.getDataPoints());
    }
    if (s instanceof SummarySnapshot sum) {
      return new SummarySnapshot(meta, sum.getDataPoints());
    }
    return s; // the bridge only produces the three types above
  }
}
