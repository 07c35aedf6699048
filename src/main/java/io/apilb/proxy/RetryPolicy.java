package io.apilb.proxy;

import io.netty.handler.codec.http.HttpMethod;

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

  /** A request written to a backend whose connection then broke with no response byte. */
  public static boolean mayRetryAfterWrite(HttpMethod method, long bodyBytes, boolean requestComplete, int retriesSoFar) {
    boolean safe = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS);
    return safe && bodyBytes == 0 && requestComplete && retriesSoFar < MAX_READ_RETRIES;
  }
}
