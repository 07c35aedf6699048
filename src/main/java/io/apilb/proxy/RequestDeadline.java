package io.apilb.proxy;

import io.netty.channel.EventLoop;
import java.time.Duration;

/**
 * The deadline of one short request (apilb.proxy.request-timeout): runs its expiry once on the
 * exchange's event loop unless cancelled first. Long-running requests have none. Deadlines wait
 * in their event loop's {@link DeadlineQueue}, not as a scheduled task each.
 */
final class RequestDeadline {
  static final RequestDeadline NONE = new RequestDeadline(null, 0, null);

  final DeadlineQueue queue;
  final long deadlineNanos;
  final Runnable onExpiry;
  /** Neighbours in the queue; both null and {@code linked} false once expired or cancelled. */
  RequestDeadline previous;
  RequestDeadline next;
  boolean linked;

  RequestDeadline(DeadlineQueue queue, long deadlineNanos, Runnable onExpiry) {
    this.queue = queue;
    this.deadlineNanos = deadlineNanos;
    this.onExpiry = onExpiry;
  }

  /** A deadline {@code after} from now; {@link #NONE} for a zero duration. Call on {@code loop}. */
  static RequestDeadline start(EventLoop loop, Duration after, Runnable onExpiry) {
    long nanos = after.toNanos();
    return nanos <= 0 ? NONE : DeadlineQueue.of(loop, nanos).add(onExpiry);
  }

  void cancel() {
    if (queue != null) {
      queue.remove(this);
    }
  }
}
