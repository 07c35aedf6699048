package io.apilb.proxy;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.Http1Client.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Broken and hostile peers on the exchange: nothing runs that the client did not send whole,
 * nothing is shown complete that the backend did not send whole, and every refusal says why.
 */
class ProxyExchangeHardeningTest {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";
  private ProxyFixture f;
  private Http1Client client;

  @BeforeEach
  void start() {
    f = ProxyFixture.create("");
    client = Http1Client.connect(f.context);
  }

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  private static HttpContent chunk(String s) {
    return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
  }

  @Test
  void aBadChunkAfterPartOfTheBodyCutsTheBackendRequestOffAndAnswers400() {
    String cm = "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}";
    client.send("POST " + CONFIGMAPS + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(cm.length()) + "\r\n" + cm + "\r\nzz\r\n");
    FakeBackendAttempt a = f.connector.last();

    assertThat(a.lastContents()).as("the backend never sees the body end").isZero();
    assertThat(a.ends()).containsExactly(End.CLOSE);
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("\"kind\":\"Status\"", "malformed request body");
    assertThat(client.isOpen()).as("the framing is lost: the connection closes").isFalse();
  }

  @Test
  void requestTrailersNeverReachTheBackend() {
    client.send("POST " + CONFIGMAPS + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\n{}\r\n0\r\nX-Remote-User: system:admin\r\nX-Remote-Group: system:masters\r\n\r\n");
    FakeBackendAttempt a = f.connector.last();

    assertThat(a.body()).isEqualTo("{}");
    assertThat(a.lastContents()).isEqualTo(1);
    assertThat(a.log()).noneMatch(line -> line.contains("trailers"));
  }

  @Test
  void aMalformedResponseChunkBreaksTheClientsResponseAndTheConnectionIsNeverPooled() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"));
    a.deliver(chunk("hello"));
    DefaultLastHttpContent bad = new DefaultLastHttpContent();
    bad.setDecoderResult(DecoderResult.failure(new NumberFormatException("invalid chunk size: zz")));
    a.deliver(bad);

    assertThat(client.response(0).complete()).as("never a terminating chunk").isFalse();
    assertThat(client.isOpen()).isFalse();
    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(f.failures("backend_malformed_response")).isEqualTo(1);
  }

  @Test
  void aGarbledResponseHeadToAPostIsReported502AsMalformedNotAsAClose() {
    client.send(Http1Client.postHead(CONFIGMAPS, 2) + "{}");
    FakeBackendAttempt a = f.connector.last();
    var garbled = head(200);
    garbled.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid version format: XTTP/1.1")));
    a.deliver(garbled);

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.body()).contains("backend cp1 sent a malformed response: invalid version format");
    assertThat(r.header("Retry-After")).isNull();
    assertThat(f.connector.requests()).hasSize(1);
  }

  @Test
  void controlCharactersAndDelInTheRequestTargetAre400() {
    for (String target : new String[] {"/api/v1/pods%00", "/api/v1/\u0001pods", "/api/v1/pods\u007F"}) {
      Http1Client c = Http1Client.connect(f.context);
      c.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
      if (target.contains("%")) {
        assertThat(c.responses()).as("a percent escape is not a control character").isEmpty();
      } else {
        assertThat(c.response(0).status()).as(target).isEqualTo(400);
        assertThat(c.response(0).body()).contains("invalid character");
      }
      c.close();
    }
  }

  @Test
  void anUnknownExpectationIs417WithAStatusBody() {
    client.send("GET /api/v1/pods HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n");

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(417);
    assertThat(r.body()).contains("\"kind\":\"Status\"", "\"code\":417");
    assertThat(f.connector.requests()).isEmpty();
  }
}
