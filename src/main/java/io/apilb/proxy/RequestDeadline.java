package io.apilb.proxy;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of one short request (apilb.proxy.request-timeout): runs its expiry once on the
 * exchange's event loop unless cancelled first. Long-running requests have none.
 */
final class RequestDeadline {
  static final RequestDeadline NONE = new RequestDeadline(null);

  private ScheduledFuture<?> expiry;

  private RequestDeadline(ScheduledFuture<?> expiry) {
    this.expiry = expiry;
  }

  /** A deadline {@code after} from now; {@link #NONE} for a zero duration. */
  static RequestDeadline start(EventLoop loop, Duration after, Runnable onExpiry) {
    long millis = after.toMillis();
    return millis <= 0 ? NONE : new RequestDeadline(loop.schedule(onExpiry, millis, TimeUnit.MILLISECONDS));
  }

  void cancel() {
    if (expiry != null) {
      expiry.cancel(false);
      expiry = null;
    }
  }
}
