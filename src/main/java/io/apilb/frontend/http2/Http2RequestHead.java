package io.apilb.frontend.http2;

import io.apilb.support.Http2FieldsAsHttpHeaders;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A client's HEADERS as the request head the exchange speaks, over the decoded block itself
 * ({@link Http2FieldsAsHttpHeaders}): no copy into an HTTP/1 header map. What Netty's conversion
 * did and the path still needs is done here: {@code :authority} becomes {@code Host} (RFC 9113
 * section 8.3.1; a {@code host} field that differs makes the request malformed), several
 * {@code Cookie} fields become one (section 8.2.3), and a field value with a control character
 * (CR, LF, NUL...) or leading whitespace makes the request malformed (section 8.2.1), by the
 * rule Netty's HTTP/1 headers apply: it could split an HTTP/1.1 backend request.
 */
final class Http2RequestHead {
  private Http2RequestHead() {}

  /**
   * @param endStream the HEADERS ended the stream: a request without a body, as a full request
   * @throws Http2Exception a stream error (PROTOCOL_ERROR) for a malformed request
   */
  static HttpRequest of(int streamId, Http2Headers block, boolean endStream) throws Http2Exception {
    CharSequence method = block.method();
    if (method == null) {
      throw malformed(streamId, "no :method");
    }
    HttpMethod m;
    try {
      m = HttpMethod.valueOf(method.toString());
    } catch (IllegalArgumentException e) {
      throw malformed(streamId, "invalid :method");
    }
    CharSequence authority = block.authority();
    CharSequence target = m.equals(HttpMethod.CONNECT) ? authority : block.path();
    if (target == null) {
      throw malformed(streamId, m.equals(HttpMethod.CONNECT) ? "CONNECT without :authority" : "no :path");
    }
    HttpHeaders headers = Http2FieldsAsHttpHeaders.of(block);
    if (authority != null) {
      String host = headers.get(HttpHeaderNames.HOST);
      if (host != null && !host.equalsIgnoreCase(authority.toString())) {
        // RFC 9113 section 8.3.1: a Host naming another entity than :authority is malformed
        throw malformed(streamId, "conflicting :authority and host");
      }
      headers.set(HttpHeaderNames.HOST, authority);
    }
    String bad = invalidValueIn(headers);
    if (bad != null) {
      throw malformed(streamId, "invalid value of " + bad);
    }
    if (block.contains(HttpHeaderNames.COOKIE)) {
      List<String> cookies = headers.getAll(HttpHeaderNames.COOKIE);
      if (cookies.size() > 1) {
        headers.set(HttpHeaderNames.COOKIE, String.join("; ", cookies));
      }
    }
    // the target is not validated here: admission answers a bad one with 400 and a Status body
    return endStream
        ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, target.toString(), Unpooled.EMPTY_BUFFER, headers,
            EmptyHttpHeaders.INSTANCE, false)
        : new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, target.toString(), headers, false);
  }

  /**
   * The name of the first regular field whose value is not a valid HTTP field value (Netty's
   * rule, the one its HTTP/1 headers apply: no control character but HTAB, no leading
   * whitespace), else null. The pseudo-header fields are judged where they are used: the target by
   * admission (400), the authority as the {@code host} field it became.
   */
  static String invalidValueIn(HttpHeaders fields) {
    Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> f = it.next();
      if (HttpHeaderValidationUtil.validateValidHeaderValue(f.getValue()) != -1) {
        return f.getKey().toString();
      }
    }
    return null;
  }

  private static Http2Exception malformed(int streamId, String why) {
    return Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, "malformed request: %s", why);
  }
}
