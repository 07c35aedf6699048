package io.apilb.support;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The listener's three client-connection timeouts as deadlines, one rule for HTTP/1.1 and HTTP/2:
 * each measured from a start in {@code nanoTime}, a timeout of 0 never expiring
 * ({@link Long#MAX_VALUE}), and a new connection given whichever of the header and idle timeouts
 * ends first.
 */
public final class ConnectionDeadlines {
  private final long headerNanos;
  private final long idleNanos;
  private final long bodyIdleNanos;

  public ConnectionDeadlines(Duration requestHeader, Duration idle, Duration requestBodyIdle) {
    this.headerNanos = requestHeader.toNanos();
    this.idleNanos = idle.toNanos();
    this.bodyIdleNanos = requestBodyIdle.toNanos();
  }

  public long headerBy(long start) {
    return after(start, headerNanos);
  }

  public long idleBy(long start) {
    return after(start, idleNanos);
  }

  public long bodyIdleBy(long start) {
    return after(start, bodyIdleNanos);
  }

  /** A new connection's deadline for its first request: the header or the idle one, the sooner. */
  public long firstRequestBy(long start) {
    return Math.min(headerBy(start), idleBy(start));
  }

  /** The timeout that ends a new connection without a request: {@code request_header} or {@code idle}. */
  public String firstRequestTimeout() {
    return headerNanos > 0 && (headerNanos <= idleNanos || idleNanos == 0) ? "request_header" : "idle";
  }

  public boolean bodyIdleOn() {
    return bodyIdleNanos > 0;
  }

  public long bodyIdleNanos() {
    return bodyIdleNanos;
  }

  public long bodyIdleSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(bodyIdleNanos);
  }

  private static long after(long start, long timeout) {
    return timeout > 0 ? start + timeout : Long.MAX_VALUE;
  }
}
