package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Client-connection timeouts ({@code apilb.listener.timeouts.*}); each 0 turns that timeout off.
 * None of them ever ends a long-running request (watch, exec, attach, port-forward, logs -f):
 * those have a head already, no request body, and keep their connection out of the idle state.
 *
 * @param requestHeader a complete request head must arrive within this: HTTP/1.1 from the start of
 *     the connection or from the first byte of the next request on a kept-alive one; HTTP/2 the
 *     first HEADERS of a new connection, and every HEADERS+CONTINUATION block once begun
 * @param idle a client connection with no request in progress (HTTP/1.1) or no stream open
 *     (HTTP/2, then GOAWAY NO_ERROR) is closed after this
 * @param requestBodyIdle a short request whose body is still coming gets no byte for this long
 *     while apilb waits for one: 408 if its response has not started, else the connection is
 *     closed (HTTP/1.1) or the stream reset (HTTP/2)
 */
public record ListenerTimeouts(Duration requestHeader, Duration idle, Duration requestBodyIdle) {
  /** The reference.conf defaults (for tests and components built without a file). */
  public static final ListenerTimeouts DEFAULTS =
      new ListenerTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(90), Duration.ofSeconds(30));
  /** Every timeout off. */
  public static final ListenerTimeouts NONE = new ListenerTimeouts(Duration.ZERO, Duration.ZERO, Duration.ZERO);

  public ListenerTimeouts {
    Objects.requireNonNull(requestHeader, "requestHeader");
    Objects.requireNonNull(idle, "idle");
    Objects.requireNonNull(requestBodyIdle, "requestBodyIdle");
  }
}
