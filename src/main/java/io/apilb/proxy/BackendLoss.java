package io.apilb.proxy;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.PassiveHealth;

/**
 * How a backend connection or stream was lost under an exchange: closed, dropped because its
 * response could not be parsed, or refused unprocessed (an HTTP/2 backend's REFUSED_STREAM or
 * GOAWAY). Names what the passive health check, the client, the retry rules and the metrics are
 * told.
 */
final class BackendLoss {
  private enum Kind { CLOSED, MALFORMED, REFUSED }

  static final BackendLoss CLOSED = new BackendLoss(Kind.CLOSED, null);

  private final Kind kind;
  private final String why;

  private BackendLoss(Kind kind, String why) {
    this.kind = kind;
    this.why = why;
  }

  static BackendLoss malformed(String why) {
    return new BackendLoss(Kind.MALFORMED, why);
  }

  /** The backend provably did not process the request; {@code why} says how it refused. */
  static BackendLoss refused(String why) {
    return new BackendLoss(Kind.REFUSED, why);
  }

  /** Tells the passive health check, unless it is not the backend's fault (a refusal). */
  void report(PassiveHealth health, BackendEntry backend, boolean watchEndedCleanly, boolean responseStarted) {
    switch (kind) {
      case MALFORMED -> health.onFailure(backend, "malformed response: " + why);
      case REFUSED -> { }
      case CLOSED -> health.onFailure(backend, watchEndedCleanly ? "connection closed during a watch"
          : responseStarted ? "connection closed during a response" : "connection closed before a response");
    }
  }

  /** Why the request may go elsewhere before its response started. */
  RetryReason retryReason() {
    return kind == Kind.REFUSED ? RetryReason.REFUSED_STREAM : RetryReason.BACKEND_RESET;
  }

  /** The client's message when no response had started. */
  String beforeResponse(String backend) {
    return switch (kind) {
      case MALFORMED -> "backend " + backend + " sent a malformed response: " + why;
      case REFUSED -> why + "; the request was not processed";
      case CLOSED -> "backend " + backend + " closed the connection before responding";
    };
  }

  /** The failure recorded: before the response (the client gets a Status) or in the middle of it. */
  ProxyFailure failure(boolean responseStarted) {
    if (kind == Kind.MALFORMED) {
      return ProxyFailure.BACKEND_MALFORMED_RESPONSE;
    }
    if (responseStarted) {
      return ProxyFailure.BACKEND_RESET_MID_RESPONSE;
    }
    return kind == Kind.REFUSED ? ProxyFailure.NO_READY_BACKEND : ProxyFailure.BACKEND_RESET;
  }
}
