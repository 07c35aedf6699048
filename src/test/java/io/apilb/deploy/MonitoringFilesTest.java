package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/alerts.yaml and docs/grafana-dashboard.json parse and use only metrics apilb exports. */
class MonitoringFilesTest {
  private static final Pattern METRIC = Pattern.compile("\\b((?:apilb|jvm)_[a-z_]+)\\b");
  /** JVM series (metrics-jvm) the files use; names as scraped from a running apilb. */
  private static final Set<String> JVM = Set.of("jvm_fd_usage", "jvm_memory_heap_used", "jvm_memory_heap_max");

  /** Prometheus names documented in MetricNames' class comment ({@code -> name{labels}}). */
  static Set<String> exportedNames() throws Exception {
    Set<String> names = new TreeSet<>(JVM);
    Matcher m = Pattern.compile("->\\s+(apilb_[a-z_]+)")
        .matcher(DeployFiles.read("src/main/java/io/apilb/metrics/MetricNames.java"));
    while (m.find()) {
      names.add(m.group(1));
    }
    assertThat(names).contains("apilb_backend_ready", "apilb_backend_requests_total");
    return names;
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
    assertThat(exportedNames()).containsAll(used);
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
