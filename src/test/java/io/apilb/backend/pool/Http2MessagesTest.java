package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.support.Http2FieldsAsHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

/** The request block for an HTTP/2 backend stream, and the response head made of its block. */
class Http2MessagesTest {
  @Test
  void theStatusReachesTheClientAsTheThreeDigitsParsed() {
    Http2Headers block = new DefaultHttp2Headers(false).status("200 OK").add("audit-id", "a1");
    HttpResponse r = Http2Messages.response(3, block, block.status(), false);
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(block.status().toString()).isEqualTo("200");
  }

  @Test
  void aStatusAlreadyInItsFormIsLeftAsReceived() {
    CharSequence received = new io.netty.util.AsciiString("404");
    Http2Headers block = new DefaultHttp2Headers(false).status(received).add("audit-id", "a1");
    HttpResponse r = Http2Messages.response(3, block, block.status(), false);
    assertThat(r.status().code()).isEqualTo(404);
    assertThat(block.status()).isSameAs(received);
    assertThat(r.headers().get("connection")).isNull();
  }

  @Test
  void aRetiringConnectionsResponseSaysConnectionClose() {
    Http2Headers block = new DefaultHttp2Headers(false).status("429");
    HttpResponse r = Http2Messages.response(5, block, block.status(), true);
    assertThat(r.headers().get("connection")).isEqualTo("close");
  }

  @Test
  void aMalformedStatusIsAFailedDecode() {
    Http2Headers block = new DefaultHttp2Headers(false).status("2x0");
    HttpResponse r = Http2Messages.response(7, block, block.status(), false);
    assertThat(r.decoderResult().isFailure()).isTrue();
  }

  /**
   * An HTTP/2 backend gets the head's fields after its pseudo-headers, without Host: nginx before
   * 1.29.1 answers 400 ("duplicate host header") to a request with both :authority and host,
   * even equal ones (measured: every request of a bench round). Transfer-Encoding, which the head
   * keeps for an HTTP/1.1 retry, is forbidden on HTTP/2. The head's own block is not touched.
   */
  @Test
  void anHttp2ClientsHeadGoesWithoutHostOrTransferEncoding() {
    Http2Headers block = new DefaultHttp2Headers(false).add("host", "api.example:6443")
        .add("transfer-encoding", "chunked").add("accept", "application/json");
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/namespaces",
        Http2FieldsAsHttpHeaders.of(block));

    Http2Headers out = Http2Messages.requestHeaders(head, "cp1");

    assertThat(names(out)).containsExactly(":method", ":path", ":scheme", ":authority", "accept");
    assertThat(out.authority().toString()).isEqualTo("api.example:6443");
    assertThat(out.path().toString()).isEqualTo("/api/v1/namespaces");
    assertThat(names(block)).as("the head, for a retry").containsExactly("host", "transfer-encoding", "accept");
  }

  @Test
  void withoutAHostTheBackendsNameIsTheAuthority() {
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/version",
        Http2FieldsAsHttpHeaders.of(new DefaultHttp2Headers(false)));
    assertThat(Http2Messages.requestHeaders(head, "cp1").authority().toString()).isEqualTo("cp1");
  }

  @Test
  void anHttp1ClientsHeadIsConvertedWithoutConnectionSpecificFields() {
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/healthz");
    head.headers().add("Host", "h").add("Connection", "keep-alive").add("Accept", "*/*");
    assertThat(names(Http2Messages.requestHeaders(head, "cp1")))
        .containsExactly(":method", ":path", ":scheme", ":authority", "accept");
  }

  private static List<String> names(Http2Headers h) {
    List<String> names = new ArrayList<>();
    h.forEach(e -> names.add(e.getKey().toString()));
    return names;
  }
}
