package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.RawTls;
import io.apilb.testing.RawTls.Offer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY protocol on the listener: the address a trusted L4 balancer sends reaches the access log
 * and the backend's X-Forwarded-For; anything else is closed without harm to apilb.
 */
class ProxyProtocolIT {
  @TempDir Path dir;
  ControlPlaneFixture cp;
  Path accessLog;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  private void start(String proxyProtocol) throws Exception {
    accessLog = dir.resolve("access.log");
    cp = ControlPlaneFixture.start(1, "apilb.access-log { mode = on, file = \"" + accessLog + "\" }\n"
        + "apilb.listener.proxy-protocol { " + proxyProtocol + " }\n");
  }

  @Test
  void v1AndV2HeadersFromATrustedSourceGiveTheClientsAddress() throws Exception {
    start("mode = on, trusted-sources = [\"127.0.0.0/8\"], header-timeout = 2s");

    assertThat(request(RawTls.proxyV1("203.0.113.7", 40001, cp.port()), "/version?v1")).startsWith("HTTP/1.1 200");
    byte[] noopTlv = {0x04, 0x00, 0x03, 1, 2, 3};
    byte[] v2 = RawTls.proxyV2(new byte[] {(byte) 198, 51, 100, 9}, 40002, cp.port(), noopTlv);
    assertThat(request(v2, "/api?v2")).startsWith("HTTP/1.1 200");

    assertThat(clientInAccessLog("/version?v1")).isEqualTo("203.0.113.7");
    assertThat(clientInAccessLog("/api?v2")).isEqualTo("198.51.100.9");
    assertThat(forwardedFor("/version?v1")).contains("203.0.113.7");
    assertThat(forwardedFor("/api?v2")).contains("198.51.100.9");
  }

  @Test
  void curlsHaproxyProtocolHeaderIsAccepted() throws Exception {
    start("mode = on, trusted-sources = [\"127.0.0.1\"]");
    Process curl = new ProcessBuilder("curl", "-sk", "--haproxy-protocol", "-o", "/dev/null", "-w", "%{http_code}",
        "-H", "Authorization: Bearer test-token", "https://127.0.0.1:" + cp.port() + "/apis?curl").start();
    String code = new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(code).isEqualTo("200");
    assertThat(clientInAccessLog("/apis?curl")).isEqualTo("127.0.0.1"); // curl sends its own address
    assertThat(forwardedFor("/apis?curl")).contains("127.0.0.1");
  }

  @Test
  void aMissingHeaderInModeOnAndAHeaderFromAnUntrustedSourceAreClosed() throws Exception {
    start("mode = on, trusted-sources = [\"127.0.0.1\"]");
    try (Socket s = RawTls.connect(cp.port(), new byte[0])) {
      assertThat(handshakeFails(s)).as("TLS without a PROXY header").isTrue();
    }
    cp.close();
    start("mode = optional, trusted-sources = [\"10.9.9.9\"]");
    try (Socket s = RawTls.connect(cp.port(), RawTls.proxyV1("203.0.113.7", 1, cp.port()))) {
      assertThat(RawTls.closedByPeer(s)).as("header from an untrusted source").isTrue();
    }
    // optional: a client without a header is served with its own address
    try (SSLSocket tls = RawTls.handshake(RawTls.connect(cp.port(), new byte[0]), Offer.sni(null))) {
      assertThat(RawTls.get(tls, "/version?direct")).startsWith("HTTP/1.1 200");
    }
    assertThat(clientInAccessLog("/version?direct")).isEqualTo("127.0.0.1");
    cp.close();
    start("mode = on, trusted-sources = [\"10.9.9.9\"]");
    try (Socket s = RawTls.connect(cp.port(), new byte[0])) {
      assertThat(RawTls.closedByPeer(s)).as("any connection from an untrusted source in mode on").isTrue();
    }
  }

  @Test
  void hostileHeadersAreClosedCleanlyAndApilbKeepsServing() throws Exception {
    start("mode = on, trusted-sources = [\"127.0.0.1\"], header-timeout = 500ms");
    List<byte[]> hostile = List.of(
        "PROXY TCP4 203.0.113.7 127.0.0.1 1\r\n".getBytes(StandardCharsets.US_ASCII),          // too few fields
        "PROXY GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE\r\n".getBytes(StandardCharsets.US_ASCII),
        ("PROXY TCP4 " + "9".repeat(200) + "\r\n").getBytes(StandardCharsets.US_ASCII),       // over v1's 107 bytes
        "PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII),
        RawTls.proxyV2(new byte[] {10, 0, 0, 1}, 1, 2, tlv(0xE0, 8000)),                     // TLVs over the limit
        RawTls.proxyV2(new byte[] {10, 0, 0, 1}, 1, 2, new byte[] {0x04, 0x7f, 0x7f, 1}),     // TLV longer than the header
        withVersionByte(RawTls.proxyV2(new byte[] {10, 0, 0, 1}, 1, 2, new byte[0]), (byte) 0x31),
        new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0});                 // TLS without a header
    for (byte[] bytes : hostile) {
      try (Socket s = RawTls.connect(cp.port(), bytes)) {
        assertThat(RawTls.closedByPeer(s)).as(new String(bytes, StandardCharsets.ISO_8859_1)).isTrue();
      }
    }
    byte[] v1 = RawTls.proxyV1("203.0.113.7", 1, cp.port());
    try (Socket truncated = RawTls.connect(cp.port(), java.util.Arrays.copyOf(v1, 10));
        Socket slow = RawTls.connect(cp.port(), java.util.Arrays.copyOf(v1, 3))) {
      for (int i = 3; i < 8; i++) {
        slow.getOutputStream().write(v1[i]); // a byte at a time, slower than the header timeout allows
        Thread.sleep(150);
      }
      assertThat(RawTls.closedByPeer(truncated)).as("truncated header").isTrue();
      assertThat(RawTls.closedByPeer(slow)).as("slow header").isTrue();
    }
    try (Socket halfV2 = RawTls.connect(cp.port(), java.util.Arrays.copyOf(RawTls.proxyV2(new byte[] {10, 0, 0, 1},
        1, 2, new byte[0]), 20))) {
      assertThat(RawTls.closedByPeer(halfV2)).as("v2 header cut short").isTrue();
    }
    assertThat(request(v1, "/version?after")).startsWith("HTTP/1.1 200");
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.apilb.metrics().activeConnections().getCount() == 0);
  }

  private static byte[] tlv(int type, int length) {
    byte[] t = new byte[3 + length];
    t[0] = (byte) type;
    t[1] = (byte) (length >> 8);
    t[2] = (byte) length;
    return t;
  }

  private static byte[] withVersionByte(byte[] header, byte versionAndCommand) {
    header[12] = versionAndCommand;
    return header;
  }

  private static boolean handshakeFails(Socket plain) {
    try (SSLSocket tls = RawTls.handshake(plain, Offer.sni(null))) {
      return false;
    } catch (Exception e) {
      return true;
    }
  }

  /** Sends {@code header}, then TLS and one GET for {@code path}; returns the response. */
  private String request(byte[] header, String path) throws Exception {
    try (SSLSocket tls = RawTls.handshake(RawTls.connect(cp.port(), header), Offer.sni(null))) {
      return RawTls.get(tls, path);
    }
  }

  private String clientInAccessLog(String pathAndQuery) throws IOException {
    ObjectMapper json = new ObjectMapper();
    String path = pathAndQuery.substring(0, pathAndQuery.indexOf('?'));
    List<JsonNode> lines = new ArrayList<>();
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      lines.clear();
      if (Files.exists(accessLog)) {
        for (String l : Files.readAllLines(accessLog)) {
          lines.add(json.readTree(l));
        }
      }
      return lines.stream().anyMatch(n -> n.path("path").asText().equals(path));
    });
    // the log records the path without the query; the newest line is this request's
    return lines.stream().filter(n -> n.path("path").asText().equals(path)).reduce((a, b) -> b).orElseThrow()
        .path("client").asText();
  }

  private Optional<String> forwardedFor(String uri) {
    return cp.backends.get(0).requests().stream().filter(r -> r.uri().equals(uri)).findFirst()
        .flatMap(r -> r.header("X-Forwarded-For"));
  }

}
