package io.apilb.proxy;

/**
 * How a backend connection was lost under an exchange: closed, or dropped because its response
 * could not be parsed. Names what the passive health check, the client and the metrics are told.
 *
 * @param malformed why the response was malformed; null when the connection simply closed
 */
record BackendLoss(String malformed) {
  static final BackendLoss CLOSED = new BackendLoss(null);

  static BackendLoss malformed(String why) {
    return new BackendLoss(why);
  }

  /** What the passive health check records. */
  String healthNote(boolean watchEndedCleanly, boolean responseStarted) {
    if (malformed != null) {
      return "malformed response: " + malformed;
    }
    if (watchEndedCleanly) {
      return "connection closed during a watch";
    }
    return responseStarted ? "connection closed during a response" : "connection closed before a response";
  }

  /** The client's message when no response had started. */
  String beforeResponse(String backend) {
    return "backend " + backend + (malformed != null ? " sent a malformed response: " + malformed
        : " closed the connection before responding");
  }

  /** The failure recorded: before the response (the client gets a Status) or in the middle of it. */
  ProxyFailure failure(boolean responseStarted) {
    if (malformed != null) {
      return ProxyFailure.BACKEND_MALFORMED_RESPONSE;
    }
    return responseStarted ? ProxyFailure.BACKEND_RESET_MID_RESPONSE : ProxyFailure.BACKEND_RESET;
  }
}
