package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.apilb.testing.HostileFixture;
import io.apilb.testing.LogCapture;
import io.apilb.testing.RawHttp2;
import io.apilb.testing.RawHttp2.StreamResult;
import io.apilb.testing.RecordingBackend.Recorded;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 11 over HTTP/2: cases 1, 3, 4, 7, 8 and 9, asserting on the backend and on the client's frames. */
class Http2HostileIT {
  static final Duration BOUND = Duration.ofSeconds(6);
  static final String CM = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}";
  static HostileFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = HostileFixture.start(1, "");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  static String nonce() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  static List<Map.Entry<String, String>> request(String method, String path, String... extra) {
    List<Map.Entry<String, String>> h = new ArrayList<>(List.of(Map.entry(":method", method),
        Map.entry(":scheme", "https"), Map.entry(":authority", "x"), Map.entry(":path", path)));
    for (int i = 0; i < extra.length; i += 2) {
      h.add(Map.entry(extra[i], extra[i + 1]));
    }
    return h;
  }

  static String post(String id) {
    return "/api/v1/namespaces/default/configmaps?case=" + id;
  }

  static void assertNothingCompleteAtBackend(String id) throws InterruptedException {
    Thread.sleep(200);
    assertThat(f.requestsWith("case", id)).as("requests the backend completed").noneMatch(r -> r.complete);
  }

  /** The stream was reset, or answered with {@code status} and a Status body of that code. */
  static void assertResetOrStatus(StreamResult s, int status) {
    if (s.rstCode == null) {
      assertThat(s.status()).as("%s", s).isEqualTo(String.valueOf(status));
      assertThat(s.body()).contains("\"kind\":\"Status\"", "\"code\":" + status);
    }
  }

  @Test
  void case1_aContentLengthTheDataDoesNotMatchNeverCompletesAtTheBackend() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, request("POST", post(id), "content-length", String.valueOf(CM.length() + 20)), false);
      c.data(1, CM.getBytes(StandardCharsets.UTF_8), true);
      assertThat(c.awaitStreams(List.of(1), BOUND)).isTrue();
      assertResetOrStatus(c.streams.get(1), 400);
    }
    assertNothingCompleteAtBackend(id);
  }

  @Test
  void case1_aStreamResetMidBodyNeverCompletesAtTheBackend() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, request("POST", post(id)), false);
      c.data(1, CM.substring(0, 20).getBytes(StandardCharsets.UTF_8), false);
      Thread.sleep(100); // the head and the first bytes are on their way to the backend
      c.rst(1, 8);
      c.headers(3, request("GET", "/api/v1/namespaces/default/configmaps?case=" + id + "-after"), true);
      assertThat(c.awaitStreams(List.of(3), BOUND)).isTrue();
      assertThat(c.streams.get(3).status()).isEqualTo("200");
    }
    assertNothingCompleteAtBackend(id);
  }

  @Test
  void dataAfterEndStreamNeverExtendsTheBackendBody() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, request("POST", post(id)), false);
      c.data(1, CM.getBytes(StandardCharsets.UTF_8), true);
      c.data(1, "EXTRA".getBytes(StandardCharsets.UTF_8), true);
      c.awaitStreams(List.of(1), BOUND);
    }
    Thread.sleep(200);
    for (Recorded r : f.requestsWith("case", id)) {
      if (r.complete) {
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(CM);
      }
    }
  }

  @Test
  void case3_xRemoteInHttp2TrailersNeverReachTheBackend() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, request("POST", post(id)), false);
      c.data(1, CM.getBytes(StandardCharsets.UTF_8), false);
      c.headers(1, List.of(Map.entry("x-remote-user", "system:admin"), Map.entry("x-remote-group", "system:masters")),
          true);
      assertThat(c.awaitStreams(List.of(1), BOUND)).isTrue();
    }
    Thread.sleep(200);
    for (Recorded r : f.requestsWith("case", id)) {
      assertThat(r.allNames()).noneMatch(n -> n.toLowerCase().startsWith("x-remote-"));
    }
  }

  @Test
  void connectionSpecificHeadersAndIdentityHeadersNeverReachTheBackend() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, request("GET", post(id) + "&n=1", "x-remote-user", "system:admin", "x-remote-extra-scopes", "all"),
          true);
      c.headers(3, request("GET", post(id) + "&n=2", "connection", "keep-alive"), true);
      c.headers(5, request("GET", post(id) + "&n=3", "transfer-encoding", "chunked"), true);
      c.headers(7, request("GET", post(id) + "&n=4", "X-Remote-User", "system:admin"), true);
      assertThat(c.awaitStreams(List.of(1, 3, 5, 7), BOUND)).isTrue();
      for (int s : List.of(3, 5, 7)) { // malformed (RFC 9113 8.2.2, 8.2): reset or 400
        assertResetOrStatus(c.streams.get(s), 400);
      }
    }
    Thread.sleep(200);
    for (Recorded r : f.requestsWith("case", id)) {
      assertThat(r.allNames()).noneMatch(n -> n.toLowerCase().startsWith("x-remote-")
          || n.equalsIgnoreCase("connection"));
    }
  }

  @Test
  void case4_rapidResetCostsNoBackendConnectionsAndEndsWithEnhanceYourCalm() throws Exception {
    String id = nonce();
    int handshakesBefore = f.proxiedHandshakes();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      for (int i = 0; i < 1000 && !c.writeFailed; i++) {
        int stream = 2 * i + 1;
        c.headersThenReset(stream, request("GET", post(id) + "&n=" + i), 8); // CANCEL
      }
      assertThat(c.awaitClose(BOUND)).as("apilb ends the connection").isTrue();
      assertThat(c.goAwayCode).as("GOAWAY error code").isEqualTo(0xbL); // ENHANCE_YOUR_CALM
    }
    Thread.sleep(500);
    assertThat(f.proxiedHandshakes() - handshakesBefore).as("backend TLS handshakes for 1,000 resets")
        .isLessThanOrEqualTo(1);
    assertThat(f.requestsWith("case", id).size()).as("backend requests for 1,000 resets").isLessThan(50);
  }

  @Test
  void case7_http2ClientsThatResetTheirTcpConnectionLogNoWarning() throws Exception {
    try (LogCapture logs = new LogCapture(Level.WARN)) {
      for (int i = 0; i < 5; i++) {
        Socket plain = new Socket("127.0.0.1", f.port());
        SSLSocket tls = (SSLSocket) f.clientSsl().getSocketFactory()
            .createSocket(plain, "127.0.0.1", f.port(), true);
        SSLParameters p = tls.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        tls.setSSLParameters(p);
        tls.startHandshake();
        RawHttp2 c = new RawHttp2(tls);
        c.headers(1, request("GET", post(nonce()) + "&fault=hang&watch=true"), true);
        Thread.sleep(100);
        plain.setSoLinger(true, 0);
        plain.close(); // TCP RST, no close_notify
      }
      Thread.sleep(1000);
      assertThat(logs.lines()).as("WARN or worse after 5 client resets").isEmpty();
    }
  }

  @Test
  void case8_controlCharactersInPathGet400() throws Exception {
    for (char ch : new char[] {1, 0x1f, 0x7f, ' '}) {
      String id = nonce();
      try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
        c.headers(1, request("GET", "/api/v1/namespaces/default/configmaps/a" + ch + "b?case=" + id), true);
        assertThat(c.awaitStreams(List.of(1), BOUND)).as("char %d: stream 1 ended", (int) ch).isTrue();
        assertResetOrStatus(c.streams.get(1), 400);
      }
      assertThat(f.requestsWith("case", id)).as("char %d reached the backend", (int) ch).isEmpty();
    }
  }

  @Test
  void case9_anOversizedHttp2HeaderListGets431WithStatusBody() throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      byte[] block = RawHttp2.hpack(request("GET", post(id), "x-big", "b".repeat(36 * 1024)));
      int first = 16_000;
      c.frame(RawHttp2.HEADERS, RawHttp2.END_STREAM, 1, java.util.Arrays.copyOfRange(block, 0, first));
      c.frame(RawHttp2.CONTINUATION, 0, 1, java.util.Arrays.copyOfRange(block, first, 2 * first));
      c.frame(RawHttp2.CONTINUATION, RawHttp2.END_HEADERS, 1, java.util.Arrays.copyOfRange(block, 2 * first, block.length));
      assertThat(c.awaitStreams(List.of(1), BOUND)).isTrue();
      StreamResult s = c.streams.get(1);
      assertThat(s.status()).as("%s", s).isEqualTo("431");
      assertThat(s.body()).contains("\"kind\":\"Status\"", "\"code\":431");
    }
    assertThat(f.requestsWith("case", id)).isEmpty();
  }
}
