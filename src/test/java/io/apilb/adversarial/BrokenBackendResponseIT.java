package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp1;
import io.apilb.testing.RawHttp1.Result;
import io.apilb.testing.RawHttp2;
import io.apilb.testing.RecordingBackend.Recorded;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11, cases 2 and 6: a backend that answers malformed or truncated responses. The client
 * must never see a cleanly ended response the backend did not send whole (HTTP/1.1: no
 * terminating chunk and a close; HTTP/2: RST_STREAM), or else a 502 Status saying what happened;
 * and the broken backend connection must never serve another request.
 */
class BrokenBackendResponseIT {
  static final Duration BOUND = Duration.ofSeconds(7);
  static HostileFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = HostileFixture.start(1, "");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  static String get(String id, String fault) {
    return "GET /api/v1/namespaces/default/configmaps?case=" + id + (fault == null ? "" : "&fault=" + fault)
        + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  static String nonce() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** The backend connection that carried request {@code id}. */
  static int connectionOf(String id) {
    List<Recorded> seen = f.requestsWith("case", id);
    assertThat(seen).as("backend requests for %s", id).isNotEmpty();
    return seen.get(0).connection;
  }

  /** Three well-formed requests after the fault all succeed, none on the broken connection. */
  static void assertBrokenConnectionNotReused(int broken) throws Exception {
    for (int i = 0; i < 3; i++) {
      String id = nonce();
      try (SSLSocket s = f.openTls("http/1.1")) {
        Result r = RawHttp1.exchange(s, get(id, null), 1, BOUND);
        assertThat(r.first()).as("follow-up %d: %s", i, r).isNotNull();
        assertThat(r.first().status()).as("follow-up %d: %s", i, r).isEqualTo(200);
        assertThat(r.first().body()).doesNotContain("smuggled");
      }
      assertThat(connectionOf(id)).as("follow-up %d went over the broken backend connection", i).isNotEqualTo(broken);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"truncated", "truncatedchunk", "garbage", "hugehead"})
  void truncatedOrUnparseableResponseIsNeverShownCompleteOverHttp1(String fault) throws Exception {
    http1(fault);
  }

  @ParameterizedTest
  @ValueSource(strings = {"badchunk", "overrun", "conflict", "twolengths"})
  void malformedResponseIsNeverShownCompleteOverHttp1(String fault) throws Exception {
    http1(fault);
  }

  private void http1(String fault) throws Exception {
    String id = nonce();
    Result r;
    try (SSLSocket s = f.openTls("http/1.1")) {
      r = RawHttp1.exchange(s, get(id, fault), 1, BOUND);
    }
    RawHttp1.Response first = r.first();
    if (first != null && first.status() == 502) {
      assertThat(first.isStatusJson()).as("%s", r).isTrue();
    } else if (first != null) {
      assertThat(first.whole()).as("a response the backend did not send whole: %s", r).isFalse();
      assertThat(r.end()).as("%s", r).isNotEqualTo(RawHttp1.End.OPEN);
    } else {
      assertThat(r.end()).as("%s", r).isNotEqualTo(RawHttp1.End.OPEN);
    }
    assertBrokenConnectionNotReused(connectionOf(id));
  }

  @ParameterizedTest
  @ValueSource(strings = {"truncated", "truncatedchunk", "garbage", "hugehead"})
  void truncatedOrUnparseableResponseEndsTheStreamWithResetOverHttp2(String fault) throws Exception {
    http2(fault);
  }

  @ParameterizedTest
  @ValueSource(strings = {"badchunk", "overrun", "conflict", "twolengths"})
  void malformedResponseEndsTheStreamWithResetOverHttp2(String fault) throws Exception {
    http2(fault);
  }

  private void http2(String fault) throws Exception {
    String id = nonce();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      c.headers(1, List.of(Map.entry(":method", "GET"), Map.entry(":scheme", "https"), Map.entry(":authority", "x"),
          Map.entry(":path", "/api/v1/namespaces/default/configmaps?case=" + id + "&fault=" + fault)), true);
      assertThat(c.awaitStreams(List.of(1), BOUND)).as("stream 1 ended").isTrue();
      RawHttp2.StreamResult s = c.streams.get(1);
      if ("502".equals(s.status()) && s.rstCode == null) {
        assertThat(s.body()).contains("\"kind\":\"Status\"", "\"code\":502");
      } else {
        assertThat(s.rstCode).as("a response the backend did not send whole must be reset: %s", s).isNotNull();
      }
    }
    assertBrokenConnectionNotReused(connectionOf(id));
  }

  @Test
  void bytesAfterACompleteResponseNeverAnswerTheNextRequest() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, get(id, "desync"), 1, BOUND);
      assertThat(r.first().status()).as("%s", r).isEqualTo(200);
    }
    assertBrokenConnectionNotReused(connectionOf(id));
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "hugehead"})
  void aMalformedResponseIsReportedAsMalformed(String fault) throws Exception {
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, get(nonce(), fault), 1, BOUND);
      assertThat(r.first()).as("%s", r).isNotNull();
      assertThat(r.first().status()).isEqualTo(502);
      assertThat(r.first().body()).contains("malformed").doesNotContain("before responding", "null");
    }
  }

  @Test
  void aGetThatRanOnTheOnlyBackendGets502WithoutRetryAfterAndNoNull() throws Exception {
    String id = nonce();
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, get(id, "close"), 1, BOUND);
      assertThat(r.first()).as("%s", r).isNotNull();
      assertThat(r.first().status()).as("%s", r).isEqualTo(502);
      assertThat(r.first().isStatusJson()).as("%s", r).isTrue();
      assertThat(r.first().header("retry-after")).as("it already ran on a backend").isNull();
      assertThat(r.first().body()).doesNotContain("null");
    }
  }
}
