package io.apilb.backend.pool;

import io.apilb.support.Http2FieldsAsHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * Converts between the HTTP/1 objects the exchange speaks and HTTP/2 header blocks on backend
 * streams: the request head becomes pseudo-headers plus its fields minus the connection-specific
 * ones; a response's HEADERS become an HTTP/1.1 response head (no stream-id extension header).
 */
final class Http2Messages {
  private static final AsciiString HTTPS = AsciiString.cached("https");

  private Http2Messages() {}

  static Http2Headers requestHeaders(HttpRequest head, String defaultAuthority) {
    Http2Headers block = Http2FieldsAsHttpHeaders.blockOf(head.headers());
    Http2Headers out = new DefaultHttp2Headers(false, (block == null ? head.headers().size() : block.size()) + 4);
    String host = head.headers().get(HttpHeaderNames.HOST);
    out.method(head.method().asciiName())
        .path(head.uri())
        .scheme(HTTPS)
        .authority(host == null || host.isEmpty() ? defaultAuthority : host);
    if (block == null) {
      // lower-cases names and drops Connection, Keep-Alive, Transfer-Encoding, Upgrade, Host and TE
      // (but "TE: trailers")
      HttpConversionUtil.toHttp2Headers(head.headers(), out);
      return out;
    }
    // an HTTP/2 client's head, already lower case and without hop-by-hop fields (HeaderRules); a
    // copy all the same: a retry may send the same head to an HTTP/1.1 backend, which needs its
    // Host and Transfer-Encoding, and an HTTP/2 backend must get neither (Transfer-Encoding is
    // forbidden; nginx before 1.29.1 answers 400 to a Host beside :authority, even an equal one)
    Iterator<Map.Entry<CharSequence, CharSequence>> fields = head.headers().iteratorCharSequence(); // no pseudo-headers
    while (fields.hasNext()) {
      Map.Entry<CharSequence, CharSequence> f = fields.next();
      CharSequence name = f.getKey();
      if (!HttpHeaderNames.HOST.contentEquals(name) && !HttpHeaderNames.TRANSFER_ENCODING.contentEquals(name)) {
        out.add(name, f.getValue());
      }
    }
    return out;
  }

  /** Whether a block with this {@code :status} is an interim (1xx) response, never relayed. */
  static boolean interim(CharSequence status) {
    return status != null && status.length() == 3 && status.charAt(0) == '1';
  }

  /**
   * The response head of {@code headers}. On a connection the backend is retiring (GOAWAY seen)
   * the head says {@code Connection: close}, as the HTTP/1.1 answer would: an apiserver's
   * shutdown rejections (429 with {@code Connection: close}) are recognised on either protocol.
   *
   * @param received the block's {@code :status}, which the caller has already looked up
   */
  static HttpResponse response(int streamId, Http2Headers headers, CharSequence received, boolean connectionClosing) {
    HttpResponseStatus status;
    try {
      status = HttpConversionUtil.parseStatus(received);
    } catch (Exception e) {
      status = null;
    }
    if (status == null) {
      HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, false);
      r.setDecoderResult(io.netty.handler.codec.DecoderResult.failure(
          new IllegalArgumentException("malformed :status " + received)));
      return r;
    }
    // the block itself, seen as HTTP/1 headers: an HTTP/2 client gets it back without a copy,
    // with the status as parsed (the three digits only)
    if (!AsciiString.contentEquals(received, status.codeAsText())) {
      headers.status(status.codeAsText()); // nearly always already so: no set, which is a removal and an insertion
    }
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, Http2FieldsAsHttpHeaders.of(headers));
    if (connectionClosing) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return r;
  }
}
