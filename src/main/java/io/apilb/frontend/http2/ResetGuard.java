package io.apilb.frontend.http2;

/**
 * Tells a client that resets most of its streams before they are answered (the HTTP/2 "rapid
 * reset" attack, CVE-2023-44487) from a busy honest one. client-go resets a stream for every
 * stopped watch and timed-out request, but those were mostly answered already, and honest clients
 * do not cancel most of what they ask. A connection is ended once at least {@link #MIN_PREMATURE}
 * streams were reset unanswered and they are half or more of the streams it opened; Netty's own
 * cap on RST_STREAM frames per window stays as a backstop.
 */
final class ResetGuard {
  static final int MIN_PREMATURE = 100;

  private long opened;
  private long premature;

  void streamOpened() {
    opened++;
  }

  /** A client reset a stream before any answer; true when the connection should be ended. */
  boolean prematureReset() {
    premature++;
    return premature >= MIN_PREMATURE && premature * 2 >= opened;
  }
}
