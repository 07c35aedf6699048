package io.apilb.frontend.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apilb.support.Http2FieldsAsHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Http2RequestHeadTest {
  private static Http2Headers get(String path) {
    Http2Headers h = new DefaultHttp2Headers(false);
    h.method("GET").scheme("https").authority("apiserver:6443");
    if (path != null) {
      h.path(path);
    }
    h.add("accept", "application/json");
    return h;
  }

  @Test
  void aRequestWithoutBodyIsAFullRequestOverTheBlockWithHostFromAuthority() throws Exception {
    Http2Headers block = get("/api/v1/pods?watch=1");
    block.add("host", "apiserver:6443");
    HttpRequest r = Http2RequestHead.of(1, block, true);
    assertThat(r).isInstanceOf(FullHttpRequest.class);
    assertThat(r.method()).isEqualTo(HttpMethod.GET);
    assertThat(r.uri()).isEqualTo("/api/v1/pods?watch=1");
    assertThat(r.headers().getAll("Host")).containsExactly("apiserver:6443");
    assertThat(r.headers().get("Accept")).isEqualTo("application/json");
    assertThat(Http2FieldsAsHttpHeaders.blockOf(r.headers())).as("no copy").isSameAs(block);
    assertThat(Http2RequestHead.of(3, get("/api"), false)).isNotInstanceOf(FullHttpRequest.class);
  }

  @Test
  void aHostThatDiffersFromTheAuthorityMakesTheRequestMalformed() {
    Http2Headers block = get("/api");
    block.add("host", "other");
    assertThatThrownBy(() -> Http2RequestHead.of(1, block, true)).hasMessageContaining("conflicting :authority and host");
  }

  @Test
  void cookieFieldsBecomeOneForHttp1() throws Exception {
    Http2Headers block = get("/api");
    block.add("cookie", "a=1");
    block.add("cookie", "b=2");
    assertThat(Http2RequestHead.of(1, block, true).headers().getAll("cookie")).containsExactly("a=1; b=2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\r\nX-Remote-User: admin", "a\nb", "nul\0", "del\u007f", "bell\u0007", " leading",
      "\tleading"})
  void aControlCharacterInAValueMakesTheRequestMalformed(String value) {
    Http2Headers block = get("/api");
    block.add("x-note", value);
    assertThatThrownBy(() -> Http2RequestHead.of(5, block, true))
        .isInstanceOfSatisfying(Http2Exception.StreamException.class, e -> {
          assertThat(e.streamId()).isEqualTo(5);
          assertThat(e.error()).isEqualTo(Http2Error.PROTOCOL_ERROR);
          assertThat(e).hasMessageContaining("x-note");
        });
  }

  @Test
  void aControlCharacterInTheAuthorityMakesTheRequestMalformed() {
    Http2Headers block = get("/api").authority("apiserver\r\nx-remote-user: admin");
    assertThatThrownBy(() -> Http2RequestHead.of(1, block, true)).hasMessageContaining("host");
  }

  @Test
  void theTargetIsLeftToAdmission() throws Exception {
    // admission answers 400 with a Status body, clearer than a reset
    assertThat(Http2RequestHead.of(1, get("/api/a b"), true).uri()).isEqualTo("/api/a b");
  }

  @Test
  void aTabInAValueIsFine() throws Exception {
    Http2Headers block = get("/api");
    block.add("x-note", "a\tb");
    assertThat(Http2RequestHead.of(1, block, true).headers().get("x-note")).isEqualTo("a\tb");
  }

  @Test
  void missingMethodOrPathIsMalformed() {
    assertThatThrownBy(() -> Http2RequestHead.of(1, get(null), true)).hasMessageContaining("no :path");
    Http2Headers noMethod = new DefaultHttp2Headers(false).path("/api");
    assertThatThrownBy(() -> Http2RequestHead.of(1, noMethod, true)).hasMessageContaining("no :method");
    Http2Headers badMethod = get("/api").method("G E T");
    assertThatThrownBy(() -> Http2RequestHead.of(1, badMethod, true)).hasMessageContaining("invalid :method");
  }
}
