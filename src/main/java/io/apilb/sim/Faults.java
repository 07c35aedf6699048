package io.apilb.sim;

import java.time.Duration;
import java.util.Objects;

/**
 * The fault switches behind {@link SimulatedApiserver}'s fault methods (documented there). Each
 * switch is a volatile field that request and watch code reads when it gets to the point the fault
 * affects, so a test can flip one at any time, from any thread, without stopping the event loops.
 */
final class Faults {
  /** Held-back watch events are written when stalling ends; the watches are not ours to keep. */
  private final Runnable resumeWatches;
  private volatile Duration delay = Duration.ZERO;
  private volatile int failStatus;
  private volatile boolean stalled;
  private volatile boolean closeAfterBody;
  private volatile boolean rejectShuttingDown;
  private volatile boolean rejectWebSocketStreams;

  Faults(Runnable resumeWatches) {
    this.resumeWatches = resumeWatches;
  }

  void delayResponses(Duration d) {
    this.delay = Objects.requireNonNull(d);
  }

  void failRequests(int status) {
    if (status != 0 && (status < 400 || status > 599)) {
      throw new IllegalArgumentException("status must be 4xx/5xx or 0: " + status);
    }
    this.failStatus = status;
  }

  void stallStreams(boolean stall) {
    this.stalled = stall;
    if (!stall) {
      resumeWatches.run();
    }
  }

  void closeAfterRequestBody(boolean close) {
    this.closeAfterBody = close;
  }

  void rejectAsShuttingDown(boolean reject) {
    this.rejectShuttingDown = reject;
  }

  void rejectWebSocketStreams(boolean reject) {
    this.rejectWebSocketStreams = reject;
  }

  /** Every switch off; stalled watches resume. */
  void reset() {
    rejectWebSocketStreams = false;
    delay = Duration.ZERO;
    failStatus = 0;
    closeAfterBody = false;
    rejectShuttingDown = false;
    stallStreams(false);
  }

  Duration responseDelay() {
    return delay;
  }

  int failingStatus() {
    return failStatus;
  }

  boolean streamsStalled() {
    return stalled;
  }

  boolean closingAfterRequestBody() {
    return closeAfterBody;
  }

  boolean rejectingAsShuttingDown() {
    return rejectShuttingDown;
  }

  boolean rejectingWebSocketStreams() {
    return rejectWebSocketStreams;
  }
}
