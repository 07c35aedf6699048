package io.apilb.proxy;

import io.apilb.support.Http2FieldsAsHttpHeaders;
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
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Header rules of the proxy path (RFC 9110 section 7.6.1): hop-by-hop headers never cross apilb,
 * except {@code Connection: Upgrade} and {@code Upgrade} on an upgrade exchange; Netty's HTTP/2
 * conversion headers ({@code x-http2-*}) never reach a backend; {@code X-Forwarded-For} gains the
 * client's address. End-to-end headers ({@code Audit-Id}, every {@code Warning} line,
 * {@code Retry-After}, {@code X-Kubernetes-PF-*}, {@code Content-Type} parameters,
 * {@code Content-Encoding}) are copied unchanged and in order.
 */
public final class HeaderRules {
  /** Always hop-by-hop, whatever Connection lists (lower case). */
  private static final HeaderNameMatcher HOP_BY_HOP = HeaderNameMatcher.of(List.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "proxy-authorization", "proxy-authenticate", "http2-settings"), List.of());

  /** Netty's HTTP/2 conversion headers. */
  private static final HeaderNameMatcher HTTP2_EXTENSION = HeaderNameMatcher.of(List.of(), List.of("x-http2-"));
  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

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
    // an HTTP/2 client's head stays an HTTP/2 block: an HTTP/2 backend takes it without another copy
    Http2Headers clientBlock = Http2FieldsAsHttpHeaders.blockOf(in.headers());
    HttpHeaders out = clientBlock != null
        ? Http2FieldsAsHttpHeaders.of(new DefaultHttp2Headers(false, clientBlock.size() + 4))
        : UNVALIDATED.newHeaders();
    List<String> connectionListed = connectionTokens(in.headers());
    String xff = null;
    // Names are compared ignoring case, never lower-cased into copies: this runs per request.
    Iterator<Map.Entry<CharSequence, CharSequence>> it = in.headers().iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> h = it.next();
      CharSequence name = h.getKey();
      if (HTTP2_EXTENSION.matches(name)) {
        continue;
      }
      if (X_FORWARDED_FOR.contentEqualsIgnoreCase(name)) {
        xff = xff == null ? h.getValue().toString() : xff + ", " + h.getValue();
        continue;
      }
      if (isHopByHop(name, connectionListed)) {
        continue;
      }
      out.add(name, h.getValue());
    }
    if (upgrade) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      for (String u : in.headers().getAll(HttpHeaderNames.UPGRADE)) {
        out.add(HttpHeaderNames.UPGRADE, u);
      }
    }
    out.set(X_FORWARDED_FOR, xff == null ? clientAddress : xff + ", " + clientAddress);
    if (bodyFollows && !out.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), in.uri(), out);
  }

  /**
   * The response head to send to an HTTP/1.1 client.
   *
   * @param keepAlive HTTP/1.1 client connection stays open after this response
   */
  public static HttpResponse clientResponse(HttpResponse in, HttpMethod requestMethod, boolean keepAlive) {
    return clientResponse(in, requestMethod, keepAlive, true);
  }

  /**
   * The response head to send to an HTTP/1.x client.
   *
   * @param chunked the client understands chunked framing (HTTP/1.1); without it a body of unknown
   *     length is delimited by closing the connection (RFC 9112 section 6.3), so {@code keepAlive}
   *     must then be false
   */
  public static HttpResponse clientResponse(HttpResponse in, HttpMethod requestMethod, boolean keepAlive,
      boolean chunked) {
    HttpHeaders out = UNVALIDATED.newHeaders();
    List<String> connectionListed = connectionTokens(in.headers());
    boolean switching = in.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
    Iterator<Map.Entry<CharSequence, CharSequence>> it = in.headers().iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> h = it.next();
      if (!isHopByHop(h.getKey(), connectionListed)) {
        out.add(h.getKey(), h.getValue());
      }
    }
    if (switching) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      for (String u : in.headers().getAll(HttpHeaderNames.UPGRADE)) {
        out.add(HttpHeaderNames.UPGRADE, u);
      }
    } else {
      if (chunked && !out.contains(HttpHeaderNames.CONTENT_LENGTH) && mayHaveBody(in.status(), requestMethod)) {
        out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      if (!keepAlive) {
        out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
    }
    return new DefaultHttpResponse(HttpVersion.HTTP_1_1, in.status(), out);
  }

  /**
   * The response head for an HTTP/2 client, built in one pass from the backend's HTTP/1.1 head:
   * {@code :status}, then every end-to-end header with its name in lower case (RFC 9113 section
   * 8.2.2), in order. Connection-specific headers are never sent on HTTP/2.
   */
  public static Http2Headers clientResponseHttp2(HttpResponse in) {
    HttpHeaders headers = in.headers();
    Http2Headers block = Http2FieldsAsHttpHeaders.blockOf(headers);
    if (block != null) {
      removeHopByHopFromValidatedBlock(block);
      return block;
    }
    Http2Headers out = new DefaultHttp2Headers(false, headers.size() + 1);
    out.status(in.status().codeAsText());
    List<String> connectionListed = connectionTokens(headers);
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> h = it.next();
      CharSequence name = h.getKey();
      if (!isHopByHop(name, connectionListed)) {
        out.add(LowerCaseHeaderNames.of(name), h.getValue());
      }
    }
    return out;
  }

  /**
   * The hop-by-hop fields an HTTP/2 backend's response block can still carry. Netty's decoder
   * (headers validated on every backend connection) refuses the stream whose block has a
   * connection-specific field (connection, keep-alive, proxy-connection, transfer-encoding,
   * upgrade, or a TE other than trailers). The one {@code Connection} a block can have is the
   * {@code close} apilb adds itself on a retiring connection ({@code Http2Messages.response}), so
   * no Connection field names others; the rest are the fixed list's names Netty lets through.
   */
  private static final List<AsciiString> HOP_BY_HOP_AFTER_HTTP2_VALIDATION = List.of(
      AsciiString.cached("connection"), AsciiString.cached("te"), AsciiString.cached("trailer"), AsciiString.cached("proxy-authorization"),
      AsciiString.cached("proxy-authenticate"), AsciiString.cached("http2-settings"));

  /**
   * Removes the hop-by-hop fields from a block Netty's HTTP/2 decoder validated. This runs for
   * every response and almost never finds one: one walk of the block finds out (the block's
   * iterator cannot remove); only a block that has one pays the removals by name (a lookup that
   * hashes the name, for each of the six).
   */
  static void removeHopByHopFromValidatedBlock(Http2Headers block) {
    for (Map.Entry<CharSequence, CharSequence> field : block) {
      if (isHopByHopAfterValidation(field.getKey())) {
        for (int i = 0; i < HOP_BY_HOP_AFTER_HTTP2_VALIDATION.size(); i++) {
          block.remove(HOP_BY_HOP_AFTER_HTTP2_VALIDATION.get(i));
        }
        return;
      }
    }
  }

  /** One of {@link #HOP_BY_HOP_AFTER_HTTP2_VALIDATION} (names in a validated block are lower case). */
  static boolean isHopByHopAfterValidation(CharSequence name) {
    for (int i = 0; i < HOP_BY_HOP_AFTER_HTTP2_VALIDATION.size(); i++) {
      if (HOP_BY_HOP_AFTER_HTTP2_VALIDATION.get(i).contentEquals(name)) { // compares lengths first
        return true;
      }
    }
    return false;
  }

  /** A fixed hop-by-hop header, or one the Connection header lists. */
  static boolean isHopByHop(CharSequence name, List<String> connectionListed) {
    if (HOP_BY_HOP.matches(name)) {
      return true;
    }
    for (int i = 0; i < connectionListed.size(); i++) {
      if (AsciiString.contentEqualsIgnoreCase(connectionListed.get(i), name)) {
        return true;
      }
    }
    return false;
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

  /** The tokens the Connection header lists, lower case (an empty list when it has none). */
  static List<String> connectionTokens(HttpHeaders headers) {
    if (!headers.contains(HttpHeaderNames.CONNECTION)) {
      return List.of(); // most heads: no list allocated per request
    }
    List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
    List<String> tokens = new ArrayList<>(2);
    for (String v : values) {
      for (String t : v.split(",")) {
        String token = t.trim().toLowerCase(Locale.ROOT);
        if (!token.isEmpty()) {
          tokens.add(token);
        }
      }
    }
    return tokens;
  }
}
