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
    HttpResponse r = Http2Messages.response(3, block, false);
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(block.status().toString()).isEqualTo("200");
  }

  @Test
  void aStatusAlreadyInItsFormIsLeftAsReceived() {
    CharSequence received = new io.netty.util.AsciiString("404");
    Http2Headers block = new DefaultHttp2Headers(false).status(received).add("audit-id", "a1");
    HttpResponse r = Http2Messages.response(3, block, false);
    assertThat(r.status().code()).isEqualTo(404);
    assertThat(block.status()).isSameAs(received);
    assertThat(r.headers().get("connection")).isNull();
  }

  @Test
  void aRetiringConnectionsResponseSaysConnectionClose() {
    Http2Headers block = new DefaultHttp2Headers(false).status("429");
    HttpResponse r = Http2Messages.response(5, block, true);
    assertThat(r.headers().get("connection")).isEqualTo("close");
  }

  @Test
  void aMalformedStatusIsAFailedDecode() {
    Http2Headers block = new DefaultHttp2Headers(false).status("2x0");
    HttpResponse r = Http2Messages.response(7, block, false);
    assertThat(r.decoderResult().isFailure()).isTrue();
  }

  /**
   * An HTTP/2 client's head goes to the backend as its own block, pseudo-headers set in place and
   * first; its HTTP/1 view (what an HTTP/1.1 backend would get on a retry) is unchanged.
   */
  @Test
  void anHttp2ClientsHeadIsSentAsItsOwnBlockWithPseudoHeadersFirst() {
    Http2Headers block = new DefaultHttp2Headers(false).add("host", "api.example:6443").add("accept", "application/json")
        .add("x-remote-user", "alice");
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/v1/pods?limit=1",
        Http2FieldsAsHttpHeaders.of(block));

    Http2Headers out = Http2Messages.requestHeaders(head, "cp1");

    assertThat(out).isSameAs(block);
    assertThat(names(out)).containsExactly(":method", ":path", ":scheme", ":authority", "host", "accept",
        "x-remote-user");
    assertThat(out.method().toString()).isEqualTo("GET");
    assertThat(out.path().toString()).isEqualTo("/api/v1/pods?limit=1");
    assertThat(out.scheme().toString()).isEqualTo("https");
    assertThat(out.authority().toString()).isEqualTo("api.example:6443");
    assertThat(head.headers().names()).containsExactly("host", "accept", "x-remote-user");
    assertThat(Http2Messages.requestHeaders(head, "cp2")).as("a retry sets the same fields again").isSameAs(block);
    assertThat(names(block)).hasSize(7);
  }

  /** Without a Host the backend's name is the authority. */
  @Test
  void withoutAHostTheDefaultAuthorityIsUsed() {
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/version",
        Http2FieldsAsHttpHeaders.of(new DefaultHttp2Headers(false)));
    assertThat(Http2Messages.requestHeaders(head, "cp1").authority().toString()).isEqualTo("cp1");
  }

  /**
   * A body without Content-Length is chunked for HTTP/1.1, and HTTP/2 forbids Transfer-Encoding:
   * that head goes as a copy without it (and without Host), and keeps it for an HTTP/1.1 retry.
   */
  @Test
  void aChunkedHeadIsCopiedWithoutTransferEncoding() {
    Http2Headers block = new DefaultHttp2Headers(false).add("host", "h").add("transfer-encoding", "chunked")
        .add("content-type", "application/json");
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/namespaces",
        Http2FieldsAsHttpHeaders.of(block));

    Http2Headers out = Http2Messages.requestHeaders(head, "cp1");

    assertThat(out).isNotSameAs(block);
    assertThat(names(out)).containsExactly(":method", ":path", ":scheme", ":authority", "content-type");
    assertThat(out.authority().toString()).isEqualTo("h");
    assertThat(head.headers().get("transfer-encoding")).isEqualTo("chunked");
    assertThat(block.method()).as("the head's own block is not touched").isNull();
  }

  /** An HTTP/1.1 client's head is converted: names lower case, connection-specific fields out. */
  @Test
  void anHttp1ClientsHeadIsConverted() {
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/healthz");
    head.headers().add("Host", "h").add("Connection", "keep-alive").add("Accept", "*/*");
    Http2Headers out = Http2Messages.requestHeaders(head, "cp1");
    assertThat(names(out)).containsExactly(":method", ":path", ":scheme", ":authority", "accept");
  }

  private static List<String> names(Http2Headers h) {
    List<String> names = new ArrayList<>();
    h.forEach(e -> names.add(e.getKey().toString()));
    return names;
  }
}
