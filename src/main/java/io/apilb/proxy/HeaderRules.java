package io.apilb.proxy;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Header rules of the proxy path (RFC 9110 section 7.6.1): hop-by-hop headers never cross apilb,
 * except {@code Connection: Upgrade} and {@code Upgrade} on an upgrade exchange; Netty's HTTP/2
 * conversion headers ({@code x-http2-*}) never reach a backend; {@code X-Forwarded-For} gains the
 * client's address. End-to-end headers ({@code Audit-Id}, every {@code Warning} line,
 * {@code Retry-After}, {@code X-Kubernetes-PF-*}, {@code Content-Type} parameters,
 * {@code Content-Encoding}) are copied unchanged and in order.
 */
public final class HeaderRules {
  /** Always hop-by-hop, whatever Connection lists. */
  static final Set<String> HOP_BY_HOP = Set.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "proxy-authorization", "proxy-authenticate", "http2-settings");

  private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";

  /**
   * Copies of headers Netty's decoders already validated (or that apilb sets itself) are not
   * validated a second time.
   */
  private static final DefaultHttpHeadersFactory UNVALIDATED =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);

  private HeaderRules() {}

  /**
   * The request head to send to a backend over HTTP/1.1.
   *
   * @param bodyFollows whether content after the head is expected (sets chunked framing when the
   *     client gave no Content-Length, as HTTP/2 clients may)
   * @param clientAddress the client's IP, appended to X-Forwarded-For
   */
  public static HttpRequest backendRequest(HttpRequest in, boolean upgrade, boolean bodyFollows, String clientAddress) {
    HttpHeaders out = UNVALIDATED.newHeaders();
    Set<String> connectionListed = connectionTokens(in.headers());
    String xff = null;
    for (Map.Entry<String, String> h : in.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith(HTTP2_EXTENSION_PREFIX)) {
        continue;
      }
      if (name.equals("x-forwarded-for")) {
        xff = xff == null ? h.getValue() : xff + ", " + h.getValue();
        continue;
      }
      if (HOP_BY_HOP.contains(name) || connectionListed.contains(name)) {
        continue;
      }
      out.add(h.getKey(), h.getValue());
    }
    if (upgrade) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      for (String u : in.headers().getAll(HttpHeaderNames.UPGRADE)) {
        out.add(HttpHeaderNames.UPGRADE, u);
      }
    }
    out.set("X-Forwarded-For", xff == null ? clientAddress : xff + ", " + clientAddress);
    if (bodyFollows && !out.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), in.uri(), out);
  }

  /**
   * The response head to send to the client.
   *
   * @param http2 client speaks HTTP/2: no framing or connection headers at all
   * @param keepAlive HTTP/1.1 client connection stays open after this response
   */
  public static HttpResponse clientResponse(
      HttpResponse in, HttpMethod requestMethod, boolean http2, boolean keepAlive) {
    HttpHeaders out = UNVALIDATED.newHeaders();
    Set<String> connectionListed = connectionTokens(in.headers());
    boolean switching = in.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
    for (Map.Entry<String, String> h : in.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || connectionListed.contains(name)) {
        continue;
      }
      out.add(h.getKey(), h.getValue());
    }
    if (switching) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      for (String u : in.headers().getAll(HttpHeaderNames.UPGRADE)) {
        out.add(HttpHeaderNames.UPGRADE, u);
      }
    } else if (!http2) {
      if (!out.contains(HttpHeaderNames.CONTENT_LENGTH) && mayHaveBody(in.status(), requestMethod)) {
        out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      if (!keepAlive) {
        out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
    }
    return new DefaultHttpResponse(HttpVersion.HTTP_1_1, in.status(), out);
  }

  /** A response to this request carries a body (RFC 9110 section 6.4.1). */
  static boolean mayHaveBody(HttpResponseStatus status, HttpMethod method) {
    int code = status.code();
    return !(method.equals(HttpMethod.HEAD) || code / 100 == 1 || code == 204 || code == 304);
  }

  /** Whether content follows this request head on the client side. */
  public static boolean requestHasBody(HttpRequest req) {
    return HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
  }

  static Set<String> connectionTokens(HttpHeaders headers) {
    List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
    if (values.isEmpty()) {
      return Set.of();
    }
    List<String> tokens = new ArrayList<>();
    for (String v : values) {
      for (String t : v.split(",")) {
        String token = t.trim().toLowerCase(Locale.ROOT);
        if (!token.isEmpty()) {
          tokens.add(token);
        }
      }
    }
    return Set.copyOf(tokens);
  }
}
