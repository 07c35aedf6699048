package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

/** The response head made of an HTTP/2 backend's block. */
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
}
