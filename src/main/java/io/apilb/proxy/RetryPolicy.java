package io.apilb.proxy;

import io.apilb.backend.pool.BackendConnectException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;

/**
 * When a request may go to a second backend, by {@link RetryReason}. A backend may have executed
 * any request whose bytes it received, so after the request was written only reads with no body
 * are retried (once), and never POST, PUT, PATCH or DELETE. Connect and TLS failures happen
 * before any request byte is written, and a shutting-down apiserver's rejections come before
 * execution: those are retried for every verb, as long as the whole body can be sent again.
 */
public final class RetryPolicy {
  /** Retries of a read whose backend connection broke before any response byte. */
  public static final int MAX_READ_RETRIES = 1;
  /** Retries of a request refused unprocessed by HTTP/2 backends (a draining apiserver, a retired connection). */
  public static final int MAX_REFUSED_RETRIES = 3;

  private RetryPolicy() {}

  /** Why acquiring a backend connection failed: {@link RetryReason#TLS} or {@link RetryReason#CONNECT}. */
  public static RetryReason afterConnectFailure(Throwable cause) {
    return cause instanceof BackendConnectException bce && bce.tls() ? RetryReason.TLS : RetryReason.CONNECT;
  }

  /**
   * Responses only a shutting-down kube-apiserver sends, before executing the request: 429 with
   * {@code Connection: close} ({@code --shutdown-send-retry-after}) and 503 with
   * {@code Retry-After} ("apiserver is shutting down", or a new watch during watch draining).
   * Returns the reason, or null for any other response.
   */
  public static RetryReason rejectedBeforeExecution(HttpResponse response) {
    int code = response.status().code();
    if (code == 429 && response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
      return RetryReason.SHUTDOWN_429;
    }
    if (code == 503 && response.headers().contains(HttpHeaderNames.RETRY_AFTER)) {
      return RetryReason.SHUTDOWN_503;
    }
    return null;
  }

  /**
   * Whether a request may go elsewhere for {@code reason}: unprocessed ones when their whole body
   * can be replayed; after a broken connection only GET, HEAD and OPTIONS (reads, and watch
   * establishment) without a body, once.
   */
  public static boolean mayRetry(RetryReason reason, HttpMethod method, RequestBody body, int readRetriesSoFar) {
    return switch (reason) {
      case CONNECT, TLS -> true; // nothing was sent: the body is still queued whole
      case SHUTDOWN_429, SHUTDOWN_503 -> body.replayable();
      case REFUSED_STREAM -> body.intact() && readRetriesSoFar < MAX_REFUSED_RETRIES;
      case BACKEND_RESET -> isRead(method) && body.bytes() == 0 && body.complete() && readRetriesSoFar < MAX_READ_RETRIES;
    };
  }

  private static boolean isRead(HttpMethod method) {
    return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS);
  }
}
