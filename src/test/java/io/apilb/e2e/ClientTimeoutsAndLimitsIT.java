package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.testing.ControlPlaneFixture;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * apilb.listener.timeouts and limits over real TLS sockets, with short timeouts (header 1 s, idle
 * 2 s, body idle 1 s) and at most 6 connections per client address (all tests connect from
 * 127.0.0.1).
 */
class ClientTimeoutsAndLimitsIT {
  private static final String GET_PODS = "GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\n"
      + "Authorization: Bearer test-token\r\n\r\n";
  static ControlPlaneFixture cp;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.start(2, """
        apilb.listener.timeouts { request-header = 1s, idle = 2s, request-body-idle = 1s }
        apilb.listener.limits { max-connections = 0, max-connections-per-source = 6 }
        """);
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  private static SSLSocket connect(String alpn) throws Exception {
    SSLSocket s = (SSLSocket) cp.clientSslContext().getSocketFactory().createSocket("127.0.0.1", cp.port());
    SSLParameters p = s.getSSLParameters();
    p.setApplicationProtocols(new String[] {alpn});
    s.setSSLParameters(p);
    s.setSoTimeout(15_000);
    s.startHandshake();
    return s;
  }

  /** Reads until the server closes; answers the seconds it took and what was read. */
  private static double secondsUntilClosed(Socket s, ByteArrayOutputStream into) throws IOException {
    long start = System.nanoTime();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        into.write(buf, 0, n);
      }
    } catch (SocketException e) {
      // a reset after the close: closed too
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** Reads one HTTP/1.1 response with a Content-Length body; answers it as text. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("closed after: " + head);
      }
      head.append((char) c);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = new DataInputStream(in).readNBytes(length);
    return head + new String(body, StandardCharsets.UTF_8);
  }

  @Test
  void aPartialRequestHeadIsClosedAfterTheHeaderTimeout() throws Exception {
    try (SSLSocket s = connect("http/1.1")) {
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      double took = secondsUntilClosed(s, new ByteArrayOutputStream());
      assertThat(took).isBetween(0.5, 6.0);
    }
  }

  @Test
  void aKeepAliveConnectionAfterItsResponseIsClosedAfterTheIdleTimeout() throws Exception {
    try (SSLSocket s = connect("http/1.1")) {
      s.getOutputStream().write(GET_PODS.getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
      double took = secondsUntilClosed(s, new ByteArrayOutputStream());
      assertThat(took).isBetween(1.5, 8.0); // the idle timeout (2 s), not the header timeout (1 s)
    }
  }

  @Test
  void anIdleHttp2ConnectionGetsGoAwayAndIsClosedAfterTheIdleTimeout() throws Exception {
    try (SSLSocket s = connect("h2")) {
      OutputStream out = s.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(frame(0x4, 0, 0, new byte[0])); // SETTINGS
      out.write(frame(0x1, 0x5, 1, getHeaders("/api/v1/namespaces/default/configmaps"))); // END_STREAM|END_HEADERS
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      double took = secondsUntilClosed(s, read);
      List<Integer> types = frameTypes(read.toByteArray());
      assertThat(types).contains(0x1, 0x7); // our response's HEADERS, then GOAWAY
      assertThat(took).isBetween(1.5, 8.0);
    }
  }

  @Test
  void watchesAreNeverCutByTheIdleOrBodyTimeouts() throws Exception {
    HttpClient h2 = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpResponse<InputStream> watch = h2.send(HttpRequest.newBuilder(
            cp.uri("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion="
                + cp.cluster.resourceVersion()))
        .header("Authorization", "Bearer test-token").build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(watch.statusCode()).isEqualTo(200);
    try (SSLSocket s = connect("http/1.1"); InputStream h2Events = watch.body()) {
      s.getOutputStream().write(("GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion="
          + cp.cluster.resourceVersion() + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer test-token\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      Thread.sleep(4_000); // twice the idle timeout, four times the header and body timeouts

      cp.cluster.createConfigMap("default", "after-idle", Map.of("k", "v"));

      assertThat(readUntil(s.getInputStream(), "after-idle")).contains("ADDED");
      assertThat(readUntil(h2Events, "after-idle")).contains("ADDED");
    }
  }

  @Test
  void connectionsOverTheLimitAreClosedAtOnceWhileEstablishedClientsKeepWorking() throws Exception {
    List<Socket> open = new ArrayList<>();
    // connections of earlier tests end within the idle timeout
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.apilb.metrics().activeConnections().getCount() == 0);
    try (SSLSocket established = connect("http/1.1")) {
      // all of this within the 2 s idle timeout of the established connection
      established.getOutputStream().write(GET_PODS.getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(established.getInputStream())).startsWith("HTTP/1.1 200");
      for (int i = 0; i < 5; i++) {
        open.add(new Socket("127.0.0.1", cp.port())); // plain TCP: counted before any TLS
      }
      // accepted on two event loops: wait until all six are counted, or the seventh may overtake one
      await().atMost(Duration.ofSeconds(5)).until(() -> cp.apilb.metrics().activeConnections().getCount() == 6);
      long rejectedBefore = rejected();
      try (Socket over = new Socket("127.0.0.1", cp.port())) {
        over.setSoTimeout(5_000);
        long start = System.nanoTime();
        assertThat(over.getInputStream().read()).isEqualTo(-1);
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(1.0);
      }
      assertThat(rejected()).isEqualTo(rejectedBefore + 1);

      established.getOutputStream().write(GET_PODS.getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(established.getInputStream())).startsWith("HTTP/1.1 200");
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    // closed connections give their places back
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      try (SSLSocket again = connect("http/1.1")) {
        again.getOutputStream().write(GET_PODS.getBytes(StandardCharsets.US_ASCII));
        assertThat(readResponse(again.getInputStream())).startsWith("HTTP/1.1 200");
      }
    });
  }

  private static long rejected() {
    return cp.apilb.metrics().registry().counter("apilb.listener.rejected_connections.max_connections_per_source")
        .getCount();
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder seen = new StringBuilder();
    byte[] buf = new byte[4096];
    int n;
    while (!seen.toString().contains(marker) && (n = in.read(buf)) >= 0) {
      seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return seen.toString();
  }

  private static byte[] frame(int type, int flags, int stream, byte[] payload) {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) (stream >>> 24);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    return f;
  }

  /** HPACK for GET https://localhost{path} with a bearer token: static-table indexes and plain literals. */
  private static byte[] getHeaders(String path) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x82); // :method GET
    b.write(0x87); // :scheme https
    literal(b, 0x04, path); // :path
    literal(b, 0x01, "localhost"); // :authority
    literal(b, 0x17, "Bearer test-token"); // authorization (static index 23)
    return b.toByteArray();
  }

  /** A literal header field without indexing, name from the static table (RFC 7541 §6.2.2). */
  private static void literal(ByteArrayOutputStream b, int nameIndex, String value) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    if (nameIndex < 15) {
      b.write(nameIndex);
    } else {
      b.write(0x0f);
      b.write(nameIndex - 15);
    }
    b.write(v.length); // under 127 here
    b.writeBytes(v);
  }

  private static List<Integer> frameTypes(byte[] bytes) {
    List<Integer> types = new ArrayList<>();
    int i = 0;
    while (i + 9 <= bytes.length) {
      int length = (bytes[i] & 0xff) << 16 | (bytes[i + 1] & 0xff) << 8 | (bytes[i + 2] & 0xff);
      types.add(bytes[i + 3] & 0xff);
      i += 9 + length;
    }
    return types;
  }
}
