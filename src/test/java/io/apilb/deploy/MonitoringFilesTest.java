package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.codahale.metrics.MetricRegistry;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.metrics.PrometheusExporter;
import java.util.ArrayList;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/alerts.yaml and docs/grafana-dashboard.json parse and use only metrics apilb exports. */
class MonitoringFilesTest {
  private static final Pattern METRIC = Pattern.compile("\\b((?:apilb|jvm)_[a-z0-9_]+)\\b");
  /** JVM series (metrics-jvm) the files use; names as scraped from a running apilb. */
  private static final Set<String> JVM = Set.of("jvm_fd_usage", "jvm_memory_heap_used", "jvm_memory_heap_max");

  /** Prometheus names documented in MetricNames' class comment ({@code -> name{labels}}). */
  static Set<String> exportedNames() throws Exception {
    Set<String> names = new TreeSet<>(JVM);
    Matcher m = Pattern.compile("->\\s+(apilb_[a-z0-9_]+)")
        .matcher(DeployFiles.read("src/main/java/io/apilb/metrics/MetricNames.java"));
    while (m.find()) {
      names.add(m.group(1));
    }
    assertThat(names).contains("apilb_backend_ready", "apilb_backend_requests_total");
    return names;
  }

  /**
   * The series names a scrape of apilb's metrics really contains, with every kind of metric
   * recorded once (histograms as _bucket, _sum, _count; counters with _total).
   */
  static Set<String> scrapedNames() {
    ApilbMetrics m = new ApilbMetrics(new MetricRegistry());
    m.requestCompleted("cp1", "short", false, "LIST", "", "configmaps", "", 200, 1_000_000);
    m.registerBackend("cp1", () -> 1, () -> 0, () -> 1);
    m.registerBackendGauge("cp1", MetricRegistry.name(MetricNames.BACKEND_WATCHES, "cp1"), () -> 0);
    m.registerBackendGauge("cp1", MetricRegistry.name(MetricNames.BACKEND_FLAG, "cp1", "draining"), () -> 0);
    m.registerBackendGauge("cp1", MetricRegistry.name(MetricNames.BACKEND_HTTP2_CONNECTIONS, "cp1"), () -> 1);
    m.registerBackendGauge("cp1", MetricRegistry.name(MetricNames.BACKEND_HTTP2_STREAMS, "cp1"), () -> 2);
    m.readyzChecks("cp1", Map.of("etcd", true));
    m.probe("cp1", "ok");
    m.retry("cp1", "connect");
    m.rebalancedWatch("cp1");
    m.ejection("cp1");
    m.stateTransition("cp1", "ready");
    m.connectFailure("cp1");
    m.connectionAccepted("h2");
    m.activeConnections().inc();
    m.tlsHandshakeFailure();
    m.clientError("reset");
    m.connectionRejected("max_connections");
    m.listenerTimeout("idle");
    m.clientCertificate("verified");
    m.certificateReload("serving", true);
    m.proxyFailure("no_ready_backend");
    m.reloaded();
    m.reloadFailed();
    m.discoveryRead("ok");
    m.gauge(MetricNames.DISCOVERY_BACKENDS, () -> 3);
    m.gauge(MetricNames.BALANCING_PANIC, () -> 0);
    for (String g : List.of(MetricNames.LEASE_RENEW_AGE, MetricNames.LEASE_DURATION, MetricNames.LEASE_TRANSITIONS)) {
      m.gauge(MetricRegistry.name(g, "kube-system", "kube-scheduler"), () -> 1);
    }
    Set<String> names = new TreeSet<>();
    for (String line : new PrometheusExporter(m.registry()).scrape().split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }

  @Test
  void everyDocumentedSeriesIsReallyExported() throws Exception {
    Set<String> scraped = scrapedNames();
    for (String documented : exportedNames()) {
      if (documented.startsWith("apilb_")) {
        assertThat(scraped).as("documented in MetricNames").anyMatch(n -> n.equals(documented)
            || n.equals(documented + "_bucket") || n.equals(documented + "_count"));
      }
    }
  }

  static Set<String> metricsIn(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void alertRulesParseAndCoverTheFailuresOperatorsMustHear() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(DeployFiles.file("docs/alerts.yaml").toFile());
    List<String> names = new ArrayList<>();
    StringBuilder exprs = new StringBuilder();
    for (JsonNode group : doc.get("groups")) {
      assertThat(group.get("name").asText()).isNotBlank();
      for (JsonNode rule : group.get("rules")) {
        names.add(rule.get("alert").asText());
        assertThat(rule.get("expr").asText()).isNotBlank();
        assertThat(rule.get("for").asText()).matches("\\d+[smh]");
        assertThat(rule.at("/labels/severity").asText()).isIn("critical", "warning");
        assertThat(rule.at("/annotations/summary").asText()).isNotBlank();
        assertThat(balanced(rule.get("expr").asText())).as(rule.get("alert").asText()).isTrue();
        exprs.append(rule.get("expr").asText()).append('\n');
      }
    }
    assertThat(names).doesNotHaveDuplicates().contains("ApilbNoReadyBackend", "ApilbBackendNotReady",
        "ApilbHighServerErrorRatio", "ApilbRetriesSpike", "ApilbTlsHandshakeFailures", "ApilbProbeFailures");
    assertThat(exportedNames()).containsAll(metricsIn(exprs.toString()));
    assertThat(scrapedOrJvm()).containsAll(metricsIn(exprs.toString()));
    assertThat(names).contains("ApilbBackendEtcdFailing", "ApilbLeaderLeaseNotRenewed");
    assertThat(exprs.toString()).contains("apilb_backend_readyz_check{check=~\"etcd|etcd-readiness\"} == 0")
        .contains("apilb_lease_renew_age_seconds > 2 * apilb_lease_duration_seconds");
  }

  private static Set<String> scrapedOrJvm() {
    Set<String> names = new TreeSet<>(scrapedNames());
    names.addAll(JVM);
    return names;
  }

  @Test
  void dashboardIsGrafanaJsonWhosePanelsQueryExportedMetrics() throws Exception {
    JsonNode dash = new ObjectMapper().readTree(DeployFiles.file("docs/grafana-dashboard.json").toFile());
    assertThat(dash.get("title").asText()).isEqualTo("apilb");
    assertThat(dash.get("uid").asText()).isNotBlank();
    assertThat(dash.get("schemaVersion").asInt()).isPositive();
    Set<Integer> ids = new TreeSet<>();
    StringBuilder exprs = new StringBuilder();
    for (JsonNode p : dash.get("panels")) {
      assertThat(ids.add(p.get("id").asInt())).as("unique panel id").isTrue();
      assertThat(p.get("gridPos").get("w").asInt()).isBetween(1, 24);
      if (p.get("type").asText().equals("row")) {
        continue;
      }
      assertThat(p.get("targets")).as(p.get("title").asText()).isNotEmpty();
      for (JsonNode t : p.get("targets")) {
        assertThat(balanced(t.get("expr").asText())).as(t.get("expr").asText()).isTrue();
        exprs.append(t.get("expr").asText()).append('\n');
      }
    }
    Set<String> used = metricsIn(exprs.toString());
    assertThat(scrapedOrJvm()).containsAll(used);
    // a row per backend: a repeated row over the backend variable, with its readyz checks and verbs
    assertThat(dash.get("panels")).anyMatch(p -> p.get("type").asText().equals("row")
        && p.path("repeat").asText().equals("backend"));
    assertThat(dash.at("/templating/list").findValuesAsText("name")).contains("backend");
    assertThat(used).contains("apilb_backend_readyz_check", "apilb_backend_api_requests_total",
        "apilb_backend_api_request_duration_seconds_bucket", "apilb_lease_renew_age_seconds");
    assertThat(used).contains("apilb_backend_ready", "apilb_backend_requests_total",
        "apilb_backend_request_duration_seconds", "apilb_backend_inflight_requests",
        "apilb_backend_longrunning_requests", "apilb_backend_probes_total", "apilb_backend_retries_total",
        "apilb_listener_active_connections", "apilb_listener_tls_handshake_failures_total",
        "apilb_proxy_failures_total");
  }

  /** Parentheses, brackets and braces pair up (a cheap PromQL sanity check). */
  static boolean balanced(String expr) {
    StringBuilder stack = new StringBuilder();
    boolean quoted = false;
    for (char c : expr.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && "([{".indexOf(c) >= 0) {
        stack.append(c);
      } else if (!quoted && ")]}".indexOf(c) >= 0) {
        if (stack.isEmpty() || "([{".indexOf(stack.charAt(stack.length() - 1)) != ")]}".indexOf(c)) {
          return false;
        }
        stack.setLength(stack.length() - 1);
      }
    }
    return stack.isEmpty() && !quoted;
  }
}
