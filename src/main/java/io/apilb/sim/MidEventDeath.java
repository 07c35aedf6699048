package io.apilb.sim;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An armed {@link SimulatedApiserver#dieMidEvent()}: every watch that has an event to write while
 * armed writes only its first half, flushes, and writes nothing more; the apiserver then drops
 * every connection abruptly.
 */
final class MidEventDeath {
  private final AtomicInteger cut = new AtomicInteger();

  /** A watch's half event was flushed to the socket. */
  void cutOne() {
    cut.incrementAndGet();
  }

  int cut() {
    return cut.get();
  }
}
