package io.apilb.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way an exchange can fail, mapped once: the status apilb answers with, the Kubernetes
 * {@code Status.reason}, the metric tag, and whether the request provably never reached a
 * backend (only then may a mutation go to another backend).
 */
public enum ProxyFailure {
  NO_READY_BACKEND(HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "no_ready_backend", true),
  CONNECT_FAILED(HttpResponseStatus.BAD_GATEWAY, "ServiceUnavailable", "connect_failed", true),
  TLS_HANDSHAKE_FAILED(HttpResponseStatus.BAD_GATEWAY, "ServiceUnavailable", "tls_handshake_failed", true),
  /** The backend connection broke after the request was (partly) written: outcome unknown. */
  BACKEND_RESET(HttpResponseStatus.BAD_GATEWAY, "InternalError", "backend_reset", false),
  /** The backend connection broke after part of the response reached the client. */
  BACKEND_RESET_MID_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "InternalError", "backend_reset_mid_response", false),
  BACKEND_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "Timeout", "backend_timeout", false),
  BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "BadRequest", "bad_request", true),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "BadRequest", "headers_too_large", true),
  UPGRADE_NOT_SUPPORTED(HttpResponseStatus.BAD_REQUEST, "BadRequest", "upgrade_over_http2", true),
  CLIENT_CLOSED(HttpResponseStatus.valueOf(499), "ClientClosed", "client_closed", false),
  /** A client certificate failed verification and no token came with it. */
  UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, "Unauthorized", "client_certificate_rejected", true);

  private final HttpResponseStatus status;
  private final String reason;
  private final String metricTag;
  private final boolean unprocessed;

  ProxyFailure(HttpResponseStatus status, String reason, String metricTag, boolean unprocessed) {
    this.status = status;
    this.reason = reason;
    this.metricTag = metricTag;
    this.unprocessed = unprocessed;
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

  /** True when no backend can have executed the request, so any verb may go elsewhere. */
  public boolean provablyUnprocessed() {
    return unprocessed;
  }
}
