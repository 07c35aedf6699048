package io.apilb.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;

/**
 * When a request may go to a second backend. A backend may have executed any request whose bytes
 * it received, so after the request was written only reads with no body are retried (once), and
 * never POST, PUT, PATCH or DELETE. Connect and TLS failures happen before any request byte is
 * written and are retried for every verb (see {@link ProxyFailure#provablyUnprocessed()}).
 */
public final class RetryPolicy {
  /** Retries of a read whose backend connection broke before any response byte. */
  public static final int MAX_READ_RETRIES = 1;

  private RetryPolicy() {}

  /**
   * Responses only a shutting-down kube-apiserver sends, before executing the request: 429 with
   * {@code Connection: close} ({@code --shutdown-send-retry-after}) and 503 with
   * {@code Retry-After} ("apiserver is shutting down", or a new watch during watch draining).
   * Returns the retry reason, or null for any other response.
   */
  public static String rejectedBeforeExecution(HttpResponse response) {
    int code = response.status().code();
    if (code == 429 && response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
      return "shutdown_429";
    }
    if (code == 503 && response.headers().contains(HttpHeaderNames.RETRY_AFTER)) {
      return "shutdown_503";
    }
    return null;
  }

  /**
   * A request written to a backend whose connection then broke with no response byte: only
   * GET, HEAD and OPTIONS (reads, and watch establishment), without a body, once.
   */
  public static boolean mayRetryAfterWrite(HttpMethod method, long bodyBytes, boolean requestComplete, int retriesSoFar) {
    boolean safe = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS);
    return safe && bodyBytes == 0 && requestComplete && retriesSoFar < MAX_READ_RETRIES;
  }
}
