package io.apilb.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.config.AdminConfig;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.PrometheusExporter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerIT {
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ObjectMapper json = new ObjectMapper();
  private EventLoopGroup group;
  private ScheduledExecutorService control;
  private BackendSet backends;
  private AdminServer admin;
  private int port;

  @BeforeEach
  void setUp() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    control = Executors.newSingleThreadScheduledExecutor();
    backends = new BackendSet(List.of(
        new Backend("cp1", "10.0.0.1", 6443, Optional.empty()),
        new Backend("cp2", "10.0.0.2", 6443, Optional.empty())), Clock.systemUTC());
    MetricRegistry registry = new MetricRegistry();
    ApilbMetrics metrics = new ApilbMetrics(registry);
    metrics.probe("cp1", "ok");
    metrics.probe("cp2", "timeout");
    admin = new AdminServer(new AdminConfig("127.0.0.1", 0), backends, new PrometheusExporter(registry),
        control, group, group, NioServerSocketChannel.class);
    port = admin.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    admin.close();
    control.shutdownNow();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private void onControl(Runnable r) throws Exception {
    control.submit(r).get(5, TimeUnit.SECONDS);
  }

  private void makeReady(String name) throws Exception {
    onControl(() -> backends.update(name,
        s -> s.withFlag(HealthFlag.PENDING_FIRST_PROBE, false, "test", Instant.now()).withProbe("ok", Instant.now())));
  }

  @Test
  void servesLabelledAndJvmMetrics() throws Exception {
    HttpResponse<String> res = send("GET", "/metrics");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(res.body())
        .contains("apilb_backend_probes_total{backend=\"cp1\",result=\"ok\"} 1.0")
        .contains("apilb_backend_probes_total{backend=\"cp2\",result=\"timeout\"} 1.0")
        .contains("jvm_memory_heap_used ");
    assertThat(send("POST", "/metrics").statusCode()).isEqualTo(405);
  }

  @Test
  void livez() throws Exception {
    HttpResponse<String> res = send("GET", "/livez");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body().strip()).isEqualTo("ok");
  }

  @Test
  void readyzIs503UntilABackendIsReady() throws Exception {
    HttpResponse<String> res = send("GET", "/readyz");
    assertThat(res.statusCode()).isEqualTo(503);
    assertThat(res.body()).contains("no ready backend").contains("cp1 pending_first_probe");
    makeReady("cp2");
    assertThat(send("GET", "/readyz").statusCode()).isEqualTo(200);
    onControl(() -> backends.update("cp2",
        s -> s.withFlag(HealthFlag.DRAINING, true, "probe: HTTP 500 [-]shutdown", Instant.now())));
    res = send("GET", "/readyz");
    assertThat(res.statusCode()).isEqualTo(503);
    assertThat(res.body()).contains("cp2 draining: probe: HTTP 500 [-]shutdown");
  }

  @Test
  void listsBackendsAsJson() throws Exception {
    makeReady("cp1");
    HttpResponse<String> res = send("GET", "/backends");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode arr = json.readTree(res.body());
    assertThat(arr.size()).isEqualTo(2);
    JsonNode cp1 = arr.get(0);
    assertThat(cp1.get("name").asText()).isEqualTo("cp1");
    assertThat(cp1.get("address").asText()).isEqualTo("10.0.0.1:6443");
    assertThat(cp1.get("state").asText()).isEqualTo("ready");
    assertThat(cp1.get("flags")).isEmpty();
    assertThat(cp1.get("lastProbe").asText()).isEqualTo("ok");
    assertThat(cp1.get("lastProbeAt").isTextual()).isTrue();
    assertThat(cp1.get("inFlight").asInt()).isZero();
    assertThat(cp1.get("activeLongRunning").asInt()).isZero();
    assertThat(cp1.get("requests").asLong()).isZero();
    JsonNode cp2 = arr.get(1);
    assertThat(cp2.get("state").asText()).isEqualTo("pending_first_probe");
    assertThat(cp2.get("flags").get(0).asText()).isEqualTo("pending_first_probe");
    assertThat(cp2.get("reason").asText()).isEqualTo("waiting for first probes");
    assertThat(cp2.get("since").asText()).isNotBlank();
    assertThat(cp2.get("lastProbeAt").isNull()).isTrue();
  }

  @Test
  void drainAndUndrainToggleTheOperatorFlag() throws Exception {
    makeReady("cp1");
    HttpResponse<String> res = send("POST", "/backends/cp1/drain");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(json.readTree(res.body()).get("flags").get(0).asText()).isEqualTo("disabled_by_operator");
    assertThat(backends.snapshot().byName("cp1").orElseThrow().state().flags())
        .containsExactly(HealthFlag.DISABLED_BY_OPERATOR);
    assertThat(backends.snapshot().ready()).isEmpty();

    res = send("POST", "/backends/cp1/undrain");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(json.readTree(res.body()).get("state").asText()).isEqualTo("ready");
    assertThat(backends.snapshot().byName("cp1").orElseThrow().ready()).isTrue();
  }

  @Test
  void rejectsUnknownBackendsPathsAndMethods() throws Exception {
    assertThat(send("POST", "/backends/nope/drain").statusCode()).isEqualTo(404);
    HttpResponse<String> res = send("GET", "/backends/cp1/drain");
    assertThat(res.statusCode()).isEqualTo(405);
    assertThat(res.headers().firstValue("allow")).hasValue("POST");
    assertThat(send("DELETE", "/backends").statusCode()).isEqualTo(405);
    assertThat(send("GET", "/nothing").statusCode()).isEqualTo(404);
  }
}
