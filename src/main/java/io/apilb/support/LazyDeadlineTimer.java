package io.apilb.support;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One timer per connection, armed lazily like Netty's IdleStateHandler: moving a deadline later
 * changes nothing, the timer is rescheduled only when a deadline moves earlier, and when it fires
 * its owner looks at the deadlines again and re-arms for what is left. Deadlines are in the
 * executor's ticker nanoseconds. Event loop only.
 */
public final class LazyDeadlineTimer {
  private final EventExecutor executor;
  private final Runnable onFire;
  private Future<?> timer;
  private long firesAt;

  public LazyDeadlineTimer(EventExecutor executor, Runnable onFire) {
    this.executor = executor;
    this.onFire = onFire;
  }

  /** Makes sure the timer fires no later than {@code deadline} ({@code Long.MAX_VALUE}: none). */
  public void fireBy(long deadline) {
    if (deadline == Long.MAX_VALUE || (timer != null && firesAt <= deadline)) {
      return;
    }
    cancel();
    firesAt = deadline;
    timer = executor.schedule(this::fired, Math.max(0, deadline - now()), TimeUnit.NANOSECONDS);
  }

  public void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  public long now() {
    return executor.ticker().nanoTime();
  }

  private void fired() {
    timer = null;
    onFire.run();
  }
}
