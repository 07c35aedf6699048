package io.apilb.proxy;

import io.netty.handler.codec.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a client learns that its request failed: apilb's own {@code Status} answer while no
 * response has begun. Once a backend's status line reached the client it can no longer be
 * taken back, so the only honest signal left is a broken stream (HTTP/1.1 closes the
 * connection, HTTP/2 resets the stream); a client already gone is told nothing.
 */
final class FailureAnswer {
  private static final Logger log = LoggerFactory.getLogger(FailureAnswer.class);

  private FailureAnswer() {}

  /**
   * @param method the request's method, or null when it was refused at admission
   * @param responseStarted a backend's response head already reached the client
   * @param requestComplete the client's request was read to its end (an HTTP/1.1 connection may
   *     then serve its next request)
   */
  static void send(ClientSide client, HttpMethod method, ProxyFailure failure, String message,
      boolean responseStarted, boolean requestComplete) {
    if (!client.isOpen()) {
      return;
    }
    if (responseStarted) {
      client.abort();
      return;
    }
    log.debug("{}: {} {}", method == null ? "refused" : method, failure.status().code(), message);
    client.respond(StatusResponses.failure(client.alloc(), failure, message), requestComplete);
  }
}
