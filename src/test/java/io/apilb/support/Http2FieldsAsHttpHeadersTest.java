package io.apilb.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Http2FieldsAsHttpHeadersTest {
  private static Http2Headers block() {
    Http2Headers b = new DefaultHttp2Headers(false);
    b.status("200");
    b.add("content-type", "application/json");
    b.add("warning", "299 - \"first\"");
    b.add("warning", "299 - \"second\"");
    b.add("content-length", "42");
    return b;
  }

  @Test
  void showsTheRegularFieldsOnlyInOrder() {
    HttpHeaders view = Http2FieldsAsHttpHeaders.of(block());
    List<String> seen = new ArrayList<>();
    view.iteratorCharSequence().forEachRemaining(e -> seen.add(e.getKey() + "=" + e.getValue()));
    assertThat(seen).containsExactly("content-type=application/json", "warning=299 - \"first\"",
        "warning=299 - \"second\"", "content-length=42");
    assertThat(view.size()).isEqualTo(4);
    assertThat(view.names()).containsExactly("content-type", "warning", "content-length");
    assertThat(view.entries()).extracting(Map.Entry::getKey).doesNotContain(":status");
    assertThat(view.isEmpty()).isFalse();
  }

  @Test
  void findsNamesWhateverTheirCase() {
    HttpHeaders view = Http2FieldsAsHttpHeaders.of(block());
    assertThat(view.get("Content-Type")).isEqualTo("application/json");
    assertThat(view.get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(view.getAll("WARNING")).hasSize(2);
    assertThat(view.getInt("Content-Length")).isEqualTo(42);
    assertThat(view.contains("Content-Length")).isTrue();
    assertThat(view.contains("x-missing")).isFalse();
  }

  @Test
  void writesLowerCaseNamesIntoTheBlockAndLeavesPseudoFieldsOnClear() {
    Http2Headers b = block();
    HttpHeaders view = Http2FieldsAsHttpHeaders.of(b);
    view.set("X-Forwarded-For", "10.0.0.1");
    view.add("Audit-Id", "abc");
    view.remove("Warning");
    assertThat(b.get("x-forwarded-for")).hasToString("10.0.0.1");
    assertThat(b.get("audit-id")).hasToString("abc");
    assertThat(b.contains("warning")).isFalse();
    view.clear();
    assertThat(view.isEmpty()).isTrue();
    assertThat(b.status()).hasToString("200");
    assertThat(Http2FieldsAsHttpHeaders.blockOf(view)).isSameAs(b);
  }

  @Test
  void nettysHttp1HelpersWorkOnTheView() {
    Http2Headers b = block();
    b.add("connection", "keep-alive, close");
    DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Http2FieldsAsHttpHeaders.of(b));
    assertThat(HttpUtil.isKeepAlive(r)).as("Connection lists close").isFalse();
    assertThat(r.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)).isTrue();
    assertThat(HttpUtil.getContentLength(r)).isEqualTo(42);
    assertThat(HttpUtil.isTransferEncodingChunked(r)).isFalse();
  }
}
