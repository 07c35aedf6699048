package io.apilb.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A control executor on virtual time, for deterministic tests of code that runs on apilb's
 * single control thread. Nothing runs until the test calls {@link #runPending()} or
 * {@link #advance(Duration)}; tasks then run on the calling thread, ordered by due time and, for
 * equal times, by submission. {@link #clock()} follows the same virtual time, so code that reads a
 * {@link Clock} and schedules on this executor sees one consistent time line.
 *
 * <p>A task given to {@code execute} or {@code schedule*} that throws fails the test: the exception
 * propagates out of {@code runPending}/{@code advance} (control-thread code must not throw).
 * {@code submit} keeps the JDK contract and captures the exception in its future.
 *
 * <p>Submitting is thread-safe (probes may complete on other threads); running is for the test
 * thread only.
 */
public final class ManualScheduledExecutor extends AbstractExecutorService implements ScheduledExecutorService {
  public static final Instant DEFAULT_ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

  private final Instant origin;
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now; // virtual nanoseconds since origin
  private long sequence;
  private boolean shutdown;

  public ManualScheduledExecutor() {
    this(DEFAULT_ORIGIN);
  }

  public ManualScheduledExecutor(Instant origin) {
    this.origin = origin;
  }

  /** A UTC clock that reads this executor's virtual time. */
  public Clock clock() {
    return new VirtualClock(ZoneOffset.UTC);
  }

  /** Virtual time elapsed since the origin. */
  public synchronized Duration elapsed() {
    return Duration.ofNanos(now);
  }

  /** Runs every task due now, including those the tasks themselves make due now; returns how many ran. */
  public int runPending() {
    int ran = 0;
    Task t;
    while ((t = pollDue(currentNanos())) != null) {
      t.run();
      ran++;
    }
    return ran;
  }

  /**
   * Moves virtual time forward by {@code d}, stopping at each due time on the way to run the
   * tasks due then (so a periodic task runs once per period, as on a real executor).
   */
  public int advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go backwards: " + d);
    }
    long target = currentNanos() + d.toNanos();
    int ran = runPending();
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.time > target) {
          now = target;
          break;
        }
        now = Math.max(now, next.time);
      }
      ran += runPending();
    }
    return ran + runPending();
  }

  /** Tasks waiting to run (cancelled ones excluded). */
  public synchronized int queued() {
    return (int) queue.stream().filter(t -> !t.isCancelled()).count();
  }

  /** How long until the next task is due, if any is queued. */
  public synchronized Optional<Duration> nextDelay() {
    return queue.stream().filter(t -> !t.isCancelled()).mapToLong(t -> t.time).min()
        .stream().mapToObj(t -> Duration.ofNanos(t - now)).findFirst();
  }

  private synchronized long currentNanos() {
    return now;
  }

  private synchronized Task pollDue(long at) {
    while (true) {
      Task t = queue.peek();
      if (t == null || t.time > at) {
        return null;
      }
      queue.poll();
      if (!t.isCancelled()) {
        return t;
      }
    }
  }

  private synchronized <T extends Task> T enqueue(T t) {
    if (shutdown) {
      throw new RejectedExecutionException("executor shut down");
    }
    queue.add(t);
    return t;
  }

  private synchronized Task newTask(Callable<?> body, long delayNanos, long periodNanos) {
    return new Task(body, now + Math.max(0, delayNanos), periodNanos, sequence++);
  }

  private synchronized void requeue(Task t) {
    if (!shutdown) {
      t.sequence = sequence++;
      queue.add(t);
    }
  }

  @Override
  public void execute(Runnable command) {
    enqueue(newTask(Executors.callable(command), 0, 0));
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(newTask(Executors.callable(command), unit.toNanos(delay), 0));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    @SuppressWarnings("unchecked")
    ScheduledFuture<V> f = (ScheduledFuture<V>) (ScheduledFuture<?>) enqueue(newTask(callable, unit.toNanos(delay), 0));
    return f;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    if (period <= 0) {
      throw new IllegalArgumentException("period must be positive");
    }
    return enqueue(newTask(Executors.callable(command), unit.toNanos(initialDelay), unit.toNanos(period)));
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    if (delay <= 0) {
      throw new IllegalArgumentException("delay must be positive");
    }
    return enqueue(newTask(Executors.callable(command), unit.toNanos(initialDelay), -unit.toNanos(delay)));
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> pending = new ArrayList<>(queue);
    queue.clear();
    return pending;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task implements ScheduledFuture<Object>, Runnable {
    private final Callable<?> body;
    /** 0: once; > 0: fixed rate; < 0: fixed delay. */
    private final long period;
    private long time;
    private long sequence;
    private volatile boolean cancelled;
    private volatile boolean done;
    private Object result;
    private Throwable failure;

    Task(Callable<?> body, long time, long period, long sequence) {
      this.body = body;
      this.time = time;
      this.period = period;
      this.sequence = sequence;
    }

    @Override
    public void run() {
      if (cancelled || done) {
        return;
      }
      try {
        Object r = body.call();
        if (period == 0) {
          result = r;
          done = true;
        } else if (!cancelled) {
          time = period > 0 ? time + period : currentNanos() - period;
          requeue(this);
        }
      } catch (Exception e) {
        failure = e;
        done = true;
        throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
      } catch (Error e) {
        failure = e;
        done = true;
        throw e;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(time - currentNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task other = (Task) o;
      int c = Long.compare(time, other.time);
      return c != 0 ? c : Long.compare(sequence, other.sequence);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      synchronized (ManualScheduledExecutor.this) {
        queue.remove(this);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      if (!done) {
        throw new IllegalStateException("not run yet: call runPending() or advance() first");
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) throws ExecutionException, TimeoutException {
      if (!isDone()) {
        throw new TimeoutException("not run yet: call runPending() or advance() first");
      }
      return get();
    }
  }

  private final class VirtualClock extends Clock {
    private final ZoneId zone;

    VirtualClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId z) {
      return new VirtualClock(z);
    }

    @Override
    public Instant instant() {
      return origin.plusNanos(currentNanos());
    }
  }
}
