package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {
  static HttpRequest clientRequest() {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/v1/pods");
    r.headers()
        .add("Host", "apilb:6443")
        .add("Authorization", "Bearer t")
        .add("Connection", "keep-alive, X-Secret")
        .add("X-Secret", "hop")
        .add("KEEP-ALIVE", "timeout=5")
        .add("Proxy-Connection", "keep-alive")
        .add("TE", "trailers")
        .add("x-http2-stream-id", "3")
        .add("X-Forwarded-For", "10.0.0.1")
        .add("Warning", "299 - \"a\"")
        .add("Warning", "299 - \"b\"");
    return r;
  }

  @Test
  void backendRequestDropsHopByHopInAnyCaseAndConnectionListedHeaders() {
    HttpRequest out = HeaderRules.backendRequest(clientRequest(), false, false, "192.0.2.7");
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, String> h : out.headers()) {
      names.add(h.getKey().toLowerCase());
    }
    assertThat(names).doesNotContain("connection", "x-secret", "keep-alive", "proxy-connection", "te",
        "x-http2-stream-id");
    assertThat(out.headers().get("Authorization")).isEqualTo("Bearer t");
    assertThat(out.headers().getAll("Warning")).containsExactly("299 - \"a\"", "299 - \"b\"");
    assertThat(out.headers().get("X-Forwarded-For")).isEqualTo("10.0.0.1, 192.0.2.7");
    assertThat(out.headers().contains("Transfer-Encoding")).isFalse();
  }

  @Test
  void backendRequestKeepsUpgradeHeadersOnlyForUpgrades() {
    HttpRequest in = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/v1/namespaces/d/pods/p/exec");
    in.headers().add("Connection", "Upgrade").add("Upgrade", "websocket");
    HttpRequest up = HeaderRules.backendRequest(in, true, false, "192.0.2.7");
    assertThat(up.headers().get("Connection")).isEqualToIgnoringCase("Upgrade");
    assertThat(up.headers().get("Upgrade")).isEqualTo("websocket");
    HttpRequest plain = HeaderRules.backendRequest(in, false, false, "192.0.2.7");
    assertThat(plain.headers().contains("Upgrade")).isFalse();
  }

  @Test
  void backendRequestFramesABodyWithoutLengthAsChunked() {
    HttpRequest in = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/namespaces/d/configmaps");
    assertThat(HeaderRules.backendRequest(in, false, true, "192.0.2.7").headers().get("Transfer-Encoding"))
        .isEqualTo("chunked");
    in.headers().add("Content-Length", "12");
    HttpRequest withLength = HeaderRules.backendRequest(in, false, true, "192.0.2.7");
    assertThat(withLength.headers().contains("Transfer-Encoding")).isFalse();
    assertThat(withLength.headers().get("Content-Length")).isEqualTo("12");
  }

  static HttpResponse backendResponse() {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    r.headers()
        .add("Audit-Id", "abc")
        .add("Content-Type", "application/json; charset=utf-8")
        .add("Connection", "keep-alive, X-Private")
        .add("X-Private", "hop")
        .add("Keep-Alive", "timeout=90")
        .add("Transfer-Encoding", "chunked")
        .add("Warning", "299 - \"one\"")
        .add("Warning", "299 - \"two\"")
        .add("X-Kubernetes-PF-FlowSchema-UID", "f");
    return r;
  }

  @Test
  void http2ResponseHeadersAreLowerCaseEndToEndOnlyAndInOrder() {
    Http2Headers h = HeaderRules.clientResponseHttp2(backendResponse());
    assertThat(h.status().toString()).isEqualTo("200");
    List<String> names = new ArrayList<>();
    h.forEach(e -> names.add(e.getKey().toString()));
    assertThat(names).containsExactly(":status", "audit-id", "content-type", "warning", "warning",
        "x-kubernetes-pf-flowschema-uid");
    assertThat(h.get("content-type").toString()).isEqualTo("application/json; charset=utf-8");
    assertThat(h.getAll("warning")).extracting(CharSequence::toString)
        .containsExactly("299 - \"one\"", "299 - \"two\"");
  }

  @Test
  void http1ResponseDropsHopByHopAndSetsItsOwnFraming() {
    HttpResponse out = HeaderRules.clientResponse(backendResponse(), HttpMethod.GET, false);
    assertThat(out.headers().contains("X-Private")).isFalse();
    assertThat(out.headers().contains("Keep-Alive")).isFalse();
    assertThat(out.headers().get("Connection")).isEqualTo("close");
    assertThat(out.headers().get("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(out.headers().get("Audit-Id")).isEqualTo("abc");
  }

  /**
   * An HTTP/2 backend's block, relayed to an HTTP/2 client as itself: the hop-by-hop fields that
   * Netty's validating decoder lets through, and the Connection: close apilb adds on a retiring
   * connection, are removed; every end-to-end field stays, in order.
   */
  @Test
  void anHttp2BackendsBlockLosesItsHopByHopFieldsInPlace() {
    Http2Headers block = new DefaultHttp2Headers(false).status("200")
        .add("audit-id", "a1")
        .add("te", "trailers")
        .add("trailer", "x-checksum")
        .add("proxy-authenticate", "Basic")
        .add("proxy-authorization", "Basic Zm9v")
        .add("http2-settings", "AAMAAABkAAQAAP__")
        .add("content-type", "application/json")
        .add("warning", "299 - \"one\"");
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        io.apilb.support.Http2FieldsAsHttpHeaders.of(block));
    r.headers().set("connection", "close");

    Http2Headers out = HeaderRules.clientResponseHttp2(r);

    assertThat(out).as("the block itself, not a copy").isSameAs(block);
    List<String> names = new ArrayList<>();
    out.forEach(e -> names.add(e.getKey().toString()));
    assertThat(names).containsExactly(":status", "audit-id", "content-type", "warning");
  }

  /** Each hop-by-hop field alone, anywhere in the block, is found and removed; the rest stays in order. */
  @Test
  void everyHopByHopFieldAloneIsRemovedWhereverItIs() {
    for (String hop : List.of("connection", "te", "trailer", "proxy-authorization", "proxy-authenticate",
        "http2-settings")) {
      for (int at = 0; at < 3; at++) {
        Http2Headers block = new DefaultHttp2Headers(false).status("200");
        List<String> kept = List.of("audit-id", "content-type");
        for (int i = 0; i <= kept.size(); i++) {
          if (i == at) {
            block.add(hop, "x");
          }
          if (i < kept.size()) {
            block.add(kept.get(i), "v");
          }
        }
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            io.apilb.support.Http2FieldsAsHttpHeaders.of(block));
        List<String> names = new ArrayList<>();
        HeaderRules.clientResponseHttp2(r).forEach(e -> names.add(e.getKey().toString()));
        assertThat(names).as(hop + " at " + at).containsExactly(":status", "audit-id", "content-type");
      }
    }
    assertThat(HeaderRules.isHopByHopAfterValidation("tE")).as("validated names are lower case").isFalse();
    assertThat(HeaderRules.isHopByHopAfterValidation("trailers")).isFalse();
    assertThat(HeaderRules.isHopByHopAfterValidation("content-type")).isFalse();
  }
}
