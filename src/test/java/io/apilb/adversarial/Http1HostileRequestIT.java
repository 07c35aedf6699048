package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp1;
import io.apilb.testing.RawHttp1.Result;
import io.apilb.testing.RecordingBackend.Recorded;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, cases 1, 3, 8 and the unknown Expect, over HTTP/1.1: what the backend received and
 * what the client saw. Each request carries a unique {@code case} parameter to find it at the backend.
 */
class Http1HostileRequestIT {
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

  static String chunkedPost(String id) {
    return "POST /api/v1/namespaces/default/configmaps?case=" + id + " HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  }

  /** The client got a 400 Status and the connection was closed, or the connection was just closed or reset. */
  static void assertRefusedAndClosed(Result r) {
    assertThat(r.end()).as("connection after a framing error: %s", r).isNotEqualTo(RawHttp1.End.OPEN);
    for (RawHttp1.Response resp : r.responses()) {
      assertThat(resp.status()).as("%s", r).isEqualTo(400);
      assertThat(resp.isStatusJson()).as("%s", r).isTrue();
    }
  }

  static void assertNothingCompleteAtBackend(String id) throws InterruptedException {
    Thread.sleep(200); // anything forwarded would be there by now (loopback)
    assertThat(f.requestsWith("case", id)).as("requests the backend completed")
        .noneMatch(rr -> rr.complete);
  }

  @Test
  void case1_badChunkSizeLineAfterAWholeChunkIsNotExecuted() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, chunkedPost(id) + Integer.toHexString(CM.length()) + "\r\n" + CM + "\r\nzz\r\n",
          0, BOUND);
      assertRefusedAndClosed(r);
    }
    assertNothingCompleteAtBackend(id);
  }

  @Test
  void aFramingErrorReadDuringBackendAcquisitionLogsNoError() throws Exception {
    try (io.apilb.testing.LogCapture logs = new io.apilb.testing.LogCapture(ch.qos.logback.classic.Level.WARN)) {
      List<java.util.concurrent.CompletableFuture<Void>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) { // concurrent, so most need a new backend connection
        all.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
          try (SSLSocket s = f.openTls("http/1.1")) {
            assertRefusedAndClosed(RawHttp1.exchange(s, chunkedPost(nonce()) + Integer.toHexString(CM.length()) + "\r\n"
                + CM + "\r\nzz\r\n", 0, BOUND));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      java.util.concurrent.CompletableFuture.allOf(all.toArray(new java.util.concurrent.CompletableFuture[0])).get();
      Thread.sleep(200);
      assertThat(logs.lines()).as("WARN or worse").isEmpty();
    }
  }

  @Test
  void case1_chunkOverrunIsNotExecutedWithItsPrefix() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, chunkedPost(id) + "2\r\nabcdef\r\n0\r\n\r\n", 0, BOUND);
      assertRefusedAndClosed(r);
    }
    assertNothingCompleteAtBackend(id);
  }

  @Test
  void case1_aBodyCutShortByTheClientNeverCompletesAtTheBackend() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      RawHttp1.write(s, List.of(("POST /api/v1/namespaces/default/configmaps?case=" + id + " HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: " + (CM.length() + 10) + "\r\n\r\n" + CM).getBytes()), 0);
      Thread.sleep(100);
    }
    assertNothingCompleteAtBackend(id);
  }

  @Test
  void case3_xRemoteInChunkedTrailersNeverReachTheBackend() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, chunkedPost(id) + Integer.toHexString(CM.length()) + "\r\n" + CM + "\r\n0\r\n"
          + "X-Remote-User: system:admin\r\nx-remote-group: system:masters\r\nX-REMOTE-EXTRA-scopes: all\r\n"
          + "Connection: close\r\n\r\n", 1, BOUND);
      assertThat(r.first()).as("%s", r).isNotNull();
    }
    for (Recorded rr : f.requestsWith("case", id)) {
      assertThat(rr.allNames()).as("headers and trailers at the backend").noneMatch(
          n -> n.toLowerCase().startsWith("x-remote-") || n.equalsIgnoreCase("connection"));
    }
  }

  @Test
  void case8_controlCharactersInTheRequestTargetGet400() throws Exception {
    for (char c : new char[] {0, 1, 0x1f, 0x7f}) {
      String id = nonce();
      try (SSLSocket s = f.openTls("http/1.1")) {
        Result r = RawHttp1.exchange(s, "GET /api/v1/namespaces/default/configmaps/a" + c + "b?case=" + id
            + " HTTP/1.1\r\nHost: x\r\n\r\n", 1, BOUND);
        assertThat(r.first()).as("char %d: %s", (int) c, r).isNotNull();
        assertThat(r.first().status()).as("char %d", (int) c).isEqualTo(400);
        assertThat(r.first().isStatusJson()).isTrue();
      }
      assertThat(f.requestsWith("case", id)).as("char %d reached the backend", (int) c).isEmpty();
    }
  }

  @Test
  void unknownExpectGets417AndIsNotForwarded() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, "POST /api/v1/namespaces/default/configmaps?case=" + id + " HTTP/1.1\r\n"
          + "Host: x\r\nExpect: 200-ok-please\r\nContent-Length: " + CM.length() + "\r\n\r\n" + CM, 1, BOUND);
      assertThat(r.first()).as("%s", r).isNotNull();
      assertThat(r.first().status()).isEqualTo(417);
      assertThat(r.first().isStatusJson()).isTrue();
    }
    assertThat(f.requestsWith("case", id)).isEmpty();
  }

  @Test
  void expect100ContinueIsStillHonoured() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      RawHttp1.write(s, List.of(("POST /api/v1/namespaces/default/configmaps?case=" + id + " HTTP/1.1\r\nHost: x\r\n"
          + "Expect: 100-continue\r\nContent-Length: " + CM.length() + "\r\n\r\n").getBytes()), 0);
      Result cont = RawHttp1.read(s, 0, Duration.ofMillis(1500));
      assertThat(cont.raw()).startsWith("HTTP/1.1 100");
      Result r = RawHttp1.exchange(s, CM, 1, BOUND);
      assertThat(r.first().status()).as("%s", r).isEqualTo(200);
    }
    assertThat(f.requestsWith("case", id)).singleElement().satisfies(rr -> {
      assertThat(rr.complete).isTrue();
      assertThat(new String(rr.body())).isEqualTo(CM);
    });
  }
}
