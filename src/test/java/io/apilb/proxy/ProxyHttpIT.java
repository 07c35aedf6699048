package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.sim.RecordedRequest;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP behaviour of the proxy path, checked on both sides: what clients see and what backends got. */
class ProxyHttpIT {
  static ControlPlaneFixture cp;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.start(3);
    cp.cluster.createConfigMap("default", "seed", Map.of("k", "v"));
  }

  @AfterAll
  static void stop() {
    cp.close();
  }

  @BeforeEach
  void clear() {
    cp.backends.forEach(b -> {
      b.resetFaults();
      b.setReady(true);
      b.clearRequests();
    });
    cp.awaitAllReady();
  }

  @Test
  void requestsOfOneHttp2ConnectionReachAllThreeBackends() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    for (int i = 0; i < 60; i++) {
      HttpResponse<String> r = cp.get(client, "/api/v1/namespaces/default/configmaps/seed");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }
    // Sequential requests tie on load, so power of two choices places them at random: about 20
    // each; 8 is more than 3 standard deviations below that.
    for (SimulatedApiserver b : cp.backends) {
      assertThat(b.requestCount(r -> r.uri().contains("/configmaps/seed")))
          .as("requests seen by %s", b.name()).isGreaterThanOrEqualTo(8);
    }
  }

  @Test
  void http11ClientsAreServedAndSpreadToo() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_1_1);
    for (int i = 0; i < 30; i++) { // random placement: all three are hit with near certainty
      HttpResponse<String> r = cp.get(client, "/api/v1/namespaces/default/configmaps/seed");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(r.body()).contains("\"name\":\"seed\"");
    }
    Set<String> served = new HashSet<>();
    cp.backends.forEach(b -> {
      if (b.requestCount(r -> r.uri().contains("/configmaps/seed")) > 0) {
        served.add(b.name());
      }
    });
    assertThat(served).hasSize(3);
  }

  @Test
  void forwardedForIsAddedAndEndToEndHeadersPassUnchanged() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps/seed"))
        .header("Authorization", "Bearer test-token")
        .header("Audit-Id", "audit-123")
        .header("X-Forwarded-For", "10.9.8.7")
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("audit-id")).hasValue("audit-123");
    assertThat(r.headers().firstValue("x-kubernetes-pf-flowschema-uid")).isPresent();
    RecordedRequest seen = onlyRequest(rr -> rr.uri().contains("/configmaps/seed"));
    assertThat(seen.header("X-Forwarded-For")).hasValue("10.9.8.7, 127.0.0.1");
    assertThat(seen.header("Authorization")).hasValue("Bearer test-token");
    assertThat(seen.header("Audit-Id")).hasValue("audit-123");
    assertThat(seen.headers()).noneMatch(h -> h.getKey().toLowerCase().startsWith("x-http2-"));
  }

  @Test
  void hopByHopHeadersFromTheClientNeverReachABackend() throws Exception {
    String raw = "GET /api/v1/namespaces/default/configmaps/seed HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\n"
        + "Authorization: Bearer test-token\r\n"
        + "Connection: keep-alive, X-Secret-Hop\r\n"
        + "Keep-Alive: timeout=5\r\n"
        + "X-Secret-Hop: must-not-pass\r\n"
        + "Proxy-Connection: keep-alive\r\n"
        + "TE: trailers\r\n"
        + "Upgrade-Insecure-Requests: 1\r\n"
        + "\r\n";
    String response = rawExchange(raw);
    assertThat(response).startsWith("HTTP/1.1 200");
    RecordedRequest seen = onlyRequest(rr -> rr.uri().contains("/configmaps/seed"));
    Set<String> names = new HashSet<>();
    seen.headers().forEach(h -> names.add(h.getKey().toLowerCase()));
    assertThat(names).doesNotContain("connection", "keep-alive", "x-secret-hop", "proxy-connection", "te");
    assertThat(names).contains("upgrade-insecure-requests", "authorization");
  }

  @Test
  void noReadyBackendGives503StatusJson() throws Exception {
    // unreachable, not merely unready: panic mode would still use backends that answer probes
    // (stopAbruptly also cuts the probes' keep-alive connections)
    cp.backends.forEach(SimulatedApiserver::stopAbruptly);
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.apilb.backends().snapshot().routable().isEmpty());
    HttpResponse<String> r = cp.get(cp.httpClient(HttpClient.Version.HTTP_2), "/api/v1/namespaces/default/configmaps");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).contains("\"kind\":\"Status\"", "\"status\":\"Failure\"", "\"reason\":\"ServiceUnavailable\"",
        "\"code\":503", "no ready kube-apiserver backend", "cp1");
    cp.backends.forEach(SimulatedApiserver::start);
  }

  @Test
  void malformedRequestGets400AndOversizedHeaders431AsStatusJson() throws Exception {
    String bad = rawExchange("GET /api HTTP/1.1 extra junk\r\nHost: x\r\n\r\n");
    assertThat(bad).startsWith("HTTP/1.1 400").contains("\"kind\":\"Status\"", "\"code\":400");
    String big = rawExchange("GET /api HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n");
    assertThat(big).startsWith("HTTP/1.1 431").contains("\"kind\":\"Status\"", "\"code\":431");
  }

  @Test
  void tlsGarbageClosesTheConnectionAndIsCounted() throws Exception {
    long before = cp.apilb.metrics().registry().counter("apilb.listener.tls_handshake_failures").getCount();
    try (Socket s = new Socket("127.0.0.1", cp.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1024];
      while (in.read(buf) >= 0) {
        // drain until apilb closes
      }
    }
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cp.apilb.metrics().registry().counter("apilb.listener.tls_handshake_failures").getCount() > before);
  }

  @Test
  void aClientThatGoesAwayCancelsTheBackendRequestWithinASecond() throws Exception {
    int before = cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum();
    try (SSLSocket s = openTls()) {
      s.getOutputStream().write(("GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(5)).until(() ->
          cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum() == before + 1);
    }
    long closedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() ->
        cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum() == before);
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void aLargeStreamedBodyOverHttp2ArrivesWholeThroughFlowControl() throws Exception {
    // 2.5 MB with no Content-Length: more than two HTTP/2 stream windows (1 MiB) and far over the
    // retry buffer, so it only arrives if apilb returns window as the backend takes the bytes.
    String value = "x".repeat(2_500_000);
    byte[] body = ("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},"
        + "\"data\":{\"v\":\"" + value + "\"}}").getBytes(StandardCharsets.UTF_8);
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpResponse<String> created = client.send(HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps"))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30)) // a stalled window fails here instead of hanging
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    RecordedRequest post = onlyRequest(r -> r.method().equals("POST") && r.uri().endsWith("/configmaps"));
    assertThat(post.bodyBytes()).isEqualTo(body.length);
    HttpResponse<String> got = cp.get(client, "/api/v1/namespaces/default/configmaps/big");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).contains(value);
  }

  private static RecordedRequest onlyRequest(java.util.function.Predicate<RecordedRequest> p) {
    List<RecordedRequest> all = cp.backends.stream().flatMap(b -> b.requests().stream()).filter(p).toList();
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  private static SSLSocket openTls() throws Exception {
    SSLSocket s = (SSLSocket) cp.clientSslContext().getSocketFactory().createSocket("127.0.0.1", cp.port());
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  private static String rawExchange(String request) throws Exception {
    try (SSLSocket s = openTls()) {
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      StringBuilder b = new StringBuilder();
      byte[] buf = new byte[8192];
      InputStream in = s.getInputStream();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        int n;
        try {
          n = in.read(buf);
        } catch (java.net.SocketTimeoutException e) {
          break;
        }
        if (n < 0) {
          break;
        }
        b.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        String text = b.toString();
        int headerEnd = text.indexOf("\r\n\r\n");
        if (headerEnd > 0) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(text);
          if (m.find() && text.length() >= headerEnd + 4 + Integer.parseInt(m.group(1))) {
            break;
          }
        }
      }
      return b.toString();
    }
  }
}
