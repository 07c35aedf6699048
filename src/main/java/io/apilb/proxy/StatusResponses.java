package io.apilb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Responses apilb generates itself, as Kubernetes {@code Status} JSON so kubectl and client
 * libraries show a readable message.
 */
public final class StatusResponses {
  private StatusResponses() {}

  /**
   * @param retryAfterSeconds 0 for none. Only for requests no backend can have executed: client-go
   *     and fabric8 replay any request, POST included, that gets Retry-After.
   */
  public static FullHttpResponse status(
      ByteBufAllocator alloc, HttpResponseStatus status, String reason, String message, int retryAfterSeconds) {
    String json = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":\"" + jsonEscape(message) + "\",\"reason\":\"" + jsonEscape(reason) + "\","
        + "\"code\":" + status.code() + "}\n";
    ByteBuf body = alloc.buffer(json.length());
    body.writeCharSequence(json, StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache, private");
    if (retryAfterSeconds > 0) {
      r.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
    }
    return r;
  }

  public static FullHttpResponse failure(ByteBufAllocator alloc, ProxyFailure failure, String message) {
    return status(alloc, failure.status(), failure.reason(), message, failure.retryAfterSeconds());
  }

  static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
