package io.apilb.proxy;

import io.netty.handler.codec.http.HttpMethod;

/** The retries one exchange has made, by kind, and whether another is allowed ({@link RetryPolicy}'s rules). */
final class Retries {
  private int afterReset;
  private int afterRefusal;

  /** Whether the request may go to another backend for {@code reason}; counts the retry if so. */
  boolean allow(RetryReason reason, HttpMethod method, RequestBody body) {
    boolean refused = reason == RetryReason.REFUSED_STREAM;
    if (!RetryPolicy.mayRetry(reason, method, body, refused ? afterRefusal : afterReset)) {
      return false;
    }
    if (refused) {
      afterRefusal++;
    } else if (reason == RetryReason.BACKEND_RESET) {
      afterReset++;
    }
    return true;
  }

  /** A retry followed a broken connection: the first backend may have executed the request. */
  boolean mayHaveExecuted() {
    return afterReset > 0;
  }
}
