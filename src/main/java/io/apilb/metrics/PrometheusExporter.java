package io.apilb.metrics;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jvm.BufferPoolMetricSet;
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
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
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
 * Exposes a Dropwizard registry in the Prometheus text format 0.0.4, through the Prometheus
 * Dropwizard bridge ({@link DropwizardExports} with a {@link CustomLabelMapper}) and the
 * exposition library's {@link PrometheusTextFormatWriter}. The mapping turns the dotted names of
 * {@link MetricNames} into labelled families as documented there.
 *
 * <p>Two things the bridge (client_java 1.4) cannot express are done here, on its output:
 *
 * <ul>
 *   <li>It emits one snapshot per Dropwizard metric, and {@code MetricSnapshots} rejects two
 *       snapshots with one name (client_java#1712), which is exactly what a label mapping
 *       produces. So the registry is exported in partitions that hold at most one metric per
 *       Prometheus name, and the data points of each family are merged afterwards.
 *   <li>It exports every Dropwizard {@code Counter} as a Prometheus counter; the up-down counter
 *       {@code apilb.listener.connections.active} is re-typed as a gauge.
 * </ul>
 *
 * <p>Label values come from name segments, so they must not contain dots (use {@code http1},
 * not {@code http/1.1}); a name with an extra segment matches no rule and is exported unlabelled
 * under its sanitised dotted name.
 *
 * <p>JVM metrics: the {@code metrics-jvm} gauge sets are registered under {@code jvm.*}. Thread-safe.
 */
public final class PrometheusExporter {
  /** The Content-Type of {@link #scrape()}: {@code text/plain; version=0.0.4; charset=utf-8}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** Dropwizard glob, Prometheus family name, label names for the glob's {@code *} in order. */
  private record Mapping(String match, String name, List<String> labels) {}

  private static final List<Mapping> MAPPINGS = List.of(
      // The exact name first: the mapper uses the first matching rule.
      new Mapping(MetricNames.LISTENER_ACTIVE, "apilb_listener_active_connections", List.of()),
      new Mapping(MetricNames.BACKEND_REQUESTS + ".*.*.*", "apilb_backend_requests", List.of("backend", "class", "code")),
      new Mapping(MetricNames.BACKEND_LATENCY + ".*", "apilb_backend_request_duration_seconds", List.of("backend")),
      new Mapping(MetricNames.BACKEND_INFLIGHT + ".*", "apilb_backend_inflight_requests", List.of("backend")),
      new Mapping(MetricNames.BACKEND_LONGRUNNING + ".*", "apilb_backend_longrunning_requests", List.of("backend")),
      new Mapping(MetricNames.BACKEND_READY + ".*", "apilb_backend_ready", List.of("backend")),
      new Mapping(MetricNames.BACKEND_PROBES + ".*.*", "apilb_backend_probes", List.of("backend", "result")),
      new Mapping(MetricNames.BACKEND_RETRIES + ".*.*", "apilb_backend_retries", List.of("backend", "reason")),
      new Mapping(MetricNames.BACKEND_CONNECT_FAILURES + ".*", "apilb_backend_connect_failures", List.of("backend")),
      new Mapping(MetricNames.BACKEND_EJECTIONS + ".*", "apilb_backend_ejections", List.of("backend")),
      new Mapping(MetricNames.BACKEND_REBALANCED + ".*", "apilb_backend_rebalanced_watches", List.of("backend")),
      new Mapping(MetricNames.BACKEND_WATCHES + ".*", "apilb_backend_watches", List.of("backend")),
      new Mapping(MetricNames.BACKEND_HTTP2_CONNECTIONS + ".*", "apilb_backend_http2_connections", List.of("backend")),
      new Mapping(MetricNames.BACKEND_HTTP2_STREAMS + ".*", "apilb_backend_http2_streams", List.of("backend")),
      new Mapping(MetricNames.BACKEND_TRANSITIONS + ".*.*", "apilb_backend_transitions", List.of("backend", "state")),
      new Mapping(MetricNames.BACKEND_FLAG + ".*.*", "apilb_backend_flag", List.of("backend", "flag")),
      new Mapping(MetricNames.LISTENER_CONNECTIONS + ".*", "apilb_listener_connections", List.of("protocol")),
      new Mapping(MetricNames.LISTENER_CLIENT_ERRORS + ".*", "apilb_listener_client_errors", List.of("reason")),
      new Mapping(MetricNames.PROXY_FAILURES + ".*", "apilb_proxy_failures", List.of("failure")),
      new Mapping(MetricNames.LISTENER_REJECTED + ".*", "apilb_listener_rejected_connections", List.of("reason")),
      new Mapping(MetricNames.LISTENER_TIMEOUTS + ".*", "apilb_listener_timeouts", List.of("timeout")),
      new Mapping(MetricNames.LISTENER_CLIENT_CERTIFICATES + ".*", "apilb_listener_client_certificates",
          List.of("result")),
      new Mapping(MetricNames.TLS_RELOADS + ".*.*", "apilb_tls_reloads", List.of("material", "result")));

  /** Families exported as gauges although Dropwizard holds them in a {@code Counter}. */
  private static final Set<String> GAUGE_COUNTERS = Set.of("apilb_listener_active_connections");

  /** Gauges whose value is not a number (the bridge would log and skip them on every scrape). */
  private static final Set<String> EXCLUDED = Set.of("jvm.threads.deadlocks");

  private final MetricRegistry registry;
  private final CustomLabelMapper mapper;
  private final Map<String, String> help = new HashMap<>();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

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
      help.put(m.name(), "apilb " + m.match() + " (Dropwizard)");
    }
    this.mapper = new CustomLabelMapper(configs);
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
    registry.register("jvm.buffers", new BufferPoolMetricSet(ManagementFactory.getPlatformMBeanServer()));
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

  /** Converts the registry through the bridge and merges each family's data points. */
  MetricSnapshots collect() {
    // Partition k holds the k-th Dropwizard metric of every Prometheus family, so that no
    // partition gives the bridge two metrics with one name.
    Map<String, Integer> partitionOf = new HashMap<>();
    Map<String, Integer> familySize = new HashMap<>();
    int partitions = 0;
    for (String name : registry.getNames()) {
      if (EXCLUDED.contains(name)) {
        continue;
      }
      String family = PrometheusNaming.sanitizeMetricName(mapper.getName(name));
      int k = familySize.merge(family, 1, Integer::sum) - 1;
      partitionOf.put(name, k);
      partitions = Math.max(partitions, k + 1);
    }
    Map<String, List<MetricSnapshot>> families = new LinkedHashMap<>();
    for (int k = 0; k < partitions; k++) {
      Integer part = k;
      MetricFilter filter = (name, metric) -> part.equals(partitionOf.get(name));
      for (MetricSnapshot s : new DropwizardExports(registry, filter, mapper).collect()) {
        families.computeIfAbsent(s.getMetadata().getPrometheusName(), n -> new ArrayList<>()).add(s);
      }
    }
    MetricSnapshots.Builder result = MetricSnapshots.builder();
    for (List<MetricSnapshot> family : families.values()) {
      result.metricSnapshot(merge(family));
    }
    return result.build();
  }

  private MetricSnapshot merge(List<MetricSnapshot> all) {
    MetricSnapshot first = all.get(0);
    // Metrics of different Dropwizard types mapped to one name cannot share a family: keep the first type.
    List<MetricSnapshot> family = all.stream().filter(s -> s.getClass() == first.getClass()).toList();
    String name = first.getMetadata().getName();
    MetricMetadata meta = help.containsKey(name) ? new MetricMetadata(name, help.get(name)) : first.getMetadata();
    if (GAUGE_COUNTERS.contains(name) && first instanceof CounterSnapshot) {
      List<GaugeDataPointSnapshot> points = new ArrayList<>();
      for (MetricSnapshot s : family) {
        for (CounterDataPointSnapshot p : ((CounterSnapshot) s).getDataPoints()) {
          points.add(new GaugeDataPointSnapshot(p.getValue(), p.getLabels(), null));
        }
      }
      return new GaugeSnapshot(meta, points);
    }
    if (family.size() == 1 && meta == first.getMetadata()) {
      return first;
    }
    if (first instanceof CounterSnapshot) {
      List<CounterDataPointSnapshot> points = new ArrayList<>();
      family.forEach(s -> points.addAll(((CounterSnapshot) s).getDataPoints()));
      return new CounterSnapshot(meta, points);
    }
    if (first instanceof GaugeSnapshot) {
      List<GaugeDataPointSnapshot> points = new ArrayList<>();
      family.forEach(s -> points.addAll(((GaugeSnapshot) s).getDataPoints()));
      return new GaugeSnapshot(meta, points);
    }
    if (first instanceof SummarySnapshot) {
      List<SummaryDataPointSnapshot> points = new ArrayList<>();
      family.forEach(s -> points.addAll(((SummarySnapshot) s).getDataPoints()));
      return new SummarySnapshot(meta, points);
    }
    return first; // the bridge only produces the three types above
  }
}
