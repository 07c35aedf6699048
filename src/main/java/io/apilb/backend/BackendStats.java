package io.apilb.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of one backend, shared by every event loop. They are the only mutable part of a
 * {@link BackendEntry}, kept thread-safe and cheap so that balancers can read them per request.
 */
public final class BackendStats {
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger activeLongRunning = new AtomicInteger();
  private final LongAdder requests = new LongAdder();

  public void requestStarted(boolean longRunning) {
    inFlight.incrementAndGet();
    requests.increment();
    if (longRunning) {
      activeLongRunning.incrementAndGet();
    }
  }

  public void requestEnded(boolean longRunning) {
    inFlight.decrementAndGet();
    if (longRunning) {
      activeLongRunning.decrementAndGet();
    }
  }

  public int inFlight() {
    return inFlight.get();
  }

  public int activeLongRunning() {
    return activeLongRunning.get();
  }

  public long requests() {
    return requests.sum();
  }
}
