package io.apilb.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PrometheusExporterTest {

  private static PrometheusExporter exporterWithTraffic(MetricRegistry registry) {
    return exporterWithTraffic(new ApilbMetrics(registry));
  }

  private static PrometheusExporter exporterWithTraffic(ApilbMetrics m) {
    MetricRegistry registry = m.registry();
    m.requestCompleted("cp1", "short", 200, 1_000_000);
    m.requestCompleted("cp1", "short", 200, 3_000_000);
    m.requestCompleted("cp2", "long", 503, 2_000_000);
    m.registerBackend("cp1", () -> 3, () -> 1, () -> 1);
    m.registerBackend("cp2", () -> 0, () -> 0, () -> 0);
    m.probe("cp1", "ok");
    m.probe("cp1", "ok");
    m.probe("cp2", "timeout");
    m.retry("cp2", "connect");
    m.connectFailure("cp2");
    m.connectionAccepted("h2");
    m.connectionAccepted("http1");
    m.activeConnections().inc(4);
    m.tlsHandshakeFailure();
    m.proxyFailure("no_backend");
    return new PrometheusExporter(registry);
  }

  @Test
  void mapsDottedNamesToLabelledFamilies() {
    String text = exporterWithTraffic(new MetricRegistry()).scrape();
    assertThat(text)
        .contains("# TYPE apilb_backend_requests_total counter")
        .contains("apilb_backend_requests_total{backend=\"cp1\",class=\"short\",code=\"200\"} 2.0")
        .contains("apilb_backend_requests_total{backend=\"cp2\",class=\"long\",code=\"503\"} 1.0")
        .contains("apilb_backend_probes_total{backend=\"cp1\",result=\"ok\"} 2.0")
        .contains("apilb_backend_probes_total{backend=\"cp2\",result=\"timeout\"} 1.0")
        .contains("apilb_backend_retries_total{backend=\"cp2\",reason=\"connect\"} 1.0")
        .contains("apilb_backend_connect_failures_total{backend=\"cp2\"} 1.0")
        .contains("# TYPE apilb_backend_inflight_requests gauge")
        .contains("apilb_backend_inflight_requests{backend=\"cp1\"} 3.0")
        .contains("apilb_backend_longrunning_requests{backend=\"cp1\"} 1.0")
        .contains("apilb_backend_ready{backend=\"cp2\"} 0.0")
        .contains("apilb_listener_connections_total{protocol=\"h2\"} 1.0")
        .contains("apilb_listener_connections_total{protocol=\"http1\"} 1.0")
        .contains("# TYPE apilb_listener_active_connections gauge")
        .contains("apilb_listener_active_connections 4.0")
        .contains("apilb_listener_tls_handshake_failures_total 1.0")
        .contains("apilb_proxy_failures_total{failure=\"no_backend\"} 1.0")
        .contains("# TYPE apilb_backend_request_duration_seconds summary")
        .contains("apilb_backend_request_duration_seconds_count{backend=\"cp1\"} 2")
        .contains("apilb_backend_request_duration_seconds{backend=\"cp1\",quantile=\"0.5\"}");
    // One TYPE line per family: the per-backend metrics were merged into one family each.
    assertThat(text.split("# TYPE apilb_backend_probes_total ", -1)).hasSize(2);
    assertThat(text).doesNotContain("apilb_backend_probes_cp1").doesNotContain("apilb_listener_connections_active");
  }

  @Test
  void everyApilbFamilyHasOneTypeLineAndAHelpThatDescribesIt() {
    String text = exporterWithTraffic(new MetricRegistry()).scrape();
    assertThat(text.split("# TYPE apilb_backend_probes_total ", -1)).hasSize(2);
    assertThat(text).doesNotContainPattern("# HELP apilb_\\S+ Generated from Dropwizard").doesNotContain("(Dropwizard)")
        .contains("# HELP apilb_backend_probes_total Readyz probes of a backend by result");
  }

  @Test
  void apiRequestsByVerbGroupResourceAndCodeWithAHistogramByVerbClass() {
    ApilbMetrics m = new ApilbMetrics(new MetricRegistry(), 2);
    m.requestCompleted("cp1", "short", false, "LIST", "", "configmaps", "", 200, 2_000_000);
    m.requestCompleted("cp1", "short", false, "PATCH", "apps", "deployments", "scale", 200, 40_000_000);
    m.requestCompleted("cp1", "long_running", true, "WATCH", "coordination.k8s.io", "leases", "", 200, 5_000_000_000L);
    m.requestCompleted("cp2", "short", false, "GET", "example.com", "widgets", "", 404, 1_000_000);
    m.requestCompleted("cp2", "short", false, "BREW", "", "configmaps", "nonsense", 200, 1_000_000);
    String text = new PrometheusExporter(m.registry()).scrape();
    assertThat(text)
        .contains("apilb_backend_api_requests_total{backend=\"cp1\",code=\"200\",group=\"\",resource=\"configmaps\","
            + "subresource=\"\",verb=\"LIST\"} 1.0")
        .contains("group=\"apps\",resource=\"deployments\",subresource=\"scale\",verb=\"PATCH\"")
        // the third distinct resource is beyond max-resources = 2
        .contains("apilb_backend_api_requests_total{backend=\"cp1\",code=\"200\",group=\"other\",resource=\"other\"")
        .contains("backend=\"cp2\",code=\"404\",group=\"other\",resource=\"other\",subresource=\"\",verb=\"GET\"")
        // unknown verbs and subresources are folded too
        .contains("group=\"\",resource=\"configmaps\",subresource=\"other\",verb=\"other\"")
        .contains("# TYPE apilb_backend_api_request_duration_seconds histogram")
        .contains("apilb_backend_api_request_duration_seconds_bucket{backend=\"cp1\",verb_class=\"read\",le=\"0.005\"} 1")
        .contains("apilb_backend_api_request_duration_seconds_bucket{backend=\"cp1\",verb_class=\"write\",le=\"0.025\"} 0")
        .contains("apilb_backend_api_request_duration_seconds_bucket{backend=\"cp1\",verb_class=\"write\",le=\"0.05\"} 1")
        .contains("apilb_backend_api_request_duration_seconds_count{backend=\"cp1\",verb_class=\"long_running\"} 1");
    assertThat(m.shortRequestP99Seconds("cp1")).isEqualTo(0.05);
    m.unregisterBackend("cp1");
    assertThat(new PrometheusExporter(m.registry()).scrape())
        .doesNotContain("apilb_backend_api_requests_total{backend=\"cp1\"")
        .doesNotContain("apilb_backend_api_request_duration_seconds_count{backend=\"cp1\"");
  }

  @Test
  void includesJvmMetrics() {
    MetricRegistry registry = new MetricRegistry();
    String text = new PrometheusExporter(registry).scrape();
    assertThat(text)
        .contains("jvm_memory_heap_used ")
        .contains("jvm_threads_count ")
        .contains("jvm_classloader_loaded ")
        .contains("jvm_buffers_direct_count ", "jvm_buffers_direct_used ", "jvm_buffers_direct_capacity ")
        .contains("jvm_buffers_mapped_count ")
        .doesNotContain("non_volatile")
        .doesNotContain("deadlocks");
    assertThat(text).containsPattern("jvm_gc_[A-Za-z0-9_]+_count");
    // Registering twice (a second exporter on the same registry) is harmless.
    assertThat(new PrometheusExporter(registry).scrape()).contains("jvm_memory_heap_used ");
  }

  @Test
  void writesToAStreamInTextFormat004() throws Exception {
    PrometheusExporter exporter = exporterWithTraffic(new MetricRegistry());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    exporter.scrape(out);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("apilb_backend_probes_total{backend=\"cp1\",result=\"ok\"} 2.0");
    assertThat(PrometheusExporter.CONTENT_TYPE).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
  }

  @Test
  void removedBackendsDisappear() {
    ApilbMetrics metrics = new ApilbMetrics(new MetricRegistry());
    PrometheusExporter exporter = exporterWithTraffic(metrics);
    metrics.unregisterBackend("cp2");
    assertThat(exporter.scrape()).doesNotContain("apilb_backend_ready{backend=\"cp2\"}")
        .contains("apilb_backend_ready{backend=\"cp1\"}");
  }

  @Test
  void aBackendNamedLikeAMetricLabelTakesOnlyItsOwnGauges() {
    ApilbMetrics metrics = new ApilbMetrics(new MetricRegistry());
    PrometheusExporter exporter = exporterWithTraffic(metrics);
    metrics.registerBackend("ready", () -> 1, () -> 0, () -> 1);
    metrics.unregisterBackend("ready");
    assertThat(exporter.scrape()).doesNotContain("backend=\"ready\"")
        .contains("apilb_backend_ready{backend=\"cp1\"}")
        .contains("apilb_backend_ready{backend=\"cp2\"}");
  }
}
