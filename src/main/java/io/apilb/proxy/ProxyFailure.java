package io.apilb.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way an exchange can end without a backend's whole response, mapped once: the status
 * apilb answers with, the Kubernetes {@code Status.reason}, the metric tag
 * ({@code apilb_proxy_failures}), and the {@code Retry-After} a client may honour. Why a request
 * went to another backend is a {@link RetryReason}, not a failure.
 */
public enum ProxyFailure {
  /**
   * No backend was ready, or none could be reached: nothing was executed, and the client may
   * try again in a second (client-go and fabric8 replay any request, POST included, that gets
   * Retry-After).
   */
  NO_READY_BACKEND(HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "no_ready_backend", 1),
  /** The backend connection broke after the request was (partly) written: outcome unknown. */
  BACKEND_RESET(HttpResponseStatus.BAD_GATEWAY, "InternalError", "backend_reset", 0),
  /** The backend answered with a response apilb cannot parse (bad framing, garbage, an oversized head). */
  BACKEND_MALFORMED_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "InternalError", "backend_malformed_response", 0),
  /** The backend connection broke after part of the response reached the client. */
  BACKEND_RESET_MID_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "InternalError", "backend_reset_mid_response", 0),
  BACKEND_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "Timeout", "backend_timeout", 0),
  BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "BadRequest", "bad_request", 0),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "BadRequest", "headers_too_large", 0),
  UPGRADE_NOT_SUPPORTED(HttpResponseStatus.BAD_REQUEST, "BadRequest", "upgrade_over_http2", 0),
  /** An {@code Expect} other than {@code 100-continue}. */
  EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "ExpectationFailed", "expectation_failed", 0),
  CLIENT_CLOSED(HttpResponseStatus.valueOf(499), "ClientClosed", "client_closed", 0),
  /** A client certificate failed verification and no token came with it. */
  UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, "Unauthorized", "client_certificate_rejected", 0);

  private final HttpResponseStatus status;
  private final String reason;
  private final String metricTag;
  private final int retryAfterSeconds;

  ProxyFailure(HttpResponseStatus status, String reason, String metricTag, int retryAfterSeconds) {
    this.status = status;
    this.reason = reason;
    this.metricTag = metricTag;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public HttpResponseStatus status() {
    return status;
  }

  /** Kubernetes {@code Status.reason}. */
  public String reason() {
    return reason;
  }

  public String metricTag() {
    return metricTag;
  }

  /**
   * The {@code Retry-After} apilb adds, 0 for none: only where no backend can have executed the
   * request.
   */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
