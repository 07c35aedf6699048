package io.apilb.backend.pool;

import io.apilb.backend.BackendEntry;
import io.netty.channel.ChannelHandler;

/**
 * One request's use of one backend: an HTTP/1.1 connection from a pool, or a stream of a
 * multiplexed HTTP/2 connection, from the moment it is acquired until it is released or
 * closed. It owns the relay's attach and detach, the backend's in-flight counters and the
 * release-or-close decision, so an exchange never touches a backend channel or pipeline. Event
 * loop only: an attempt lives on its exchange's event loop.
 */
public interface BackendAttempt {
  /** What an exchange receives from its backend, on the exchange's event loop. */
  interface Listener {
    /** A response head or content; the listener owns (and must release) {@code msg}. */
    void onBackendMessage(Object msg);

    /** The connection closed (the attempt is then over: no release, no close needed). */
    void onBackendInactive();

    /**
     * The backend provably did not process the request (an HTTP/2 REFUSED_STREAM, a stream above
     * a GOAWAY's last stream id, or a stream never opened): it may go elsewhere whatever its verb.
     * The attempt is then over. By default treated as {@link #onBackendInactive()}.
     */
    default void onBackendRefused(String why) {
      onBackendInactive();
    }

    void onBackendWritabilityChanged(boolean writable);

    /** A read from the backend is complete: flush what was relayed, once per read. */
    void onBackendReadComplete();
  }

  BackendEntry backend();

  /**
   * Starts relaying to {@code listener} and counts the request on the backend until the attempt
   * ends. An attempt that is never started may still be {@link #release() released}.
   */
  void start(Listener listener, boolean longRunning);

  /** Writes a request head or content (void promise: a failed write closes the connection). */
  void write(Object msg);

  void flush();

  /** The backend can take more request bytes without queueing. */
  boolean isWritable();

  /** Asks for the next response message. */
  void read();

  /** The exchange is over and the connection is clean: back to the pool. */
  void release();

  /** Ends the attempt and closes the connection (the backend sees the request cut off). */
  void close();

  /**
   * The client went away after the whole request was sent: the backend's response is read to its
   * end and dropped, and the connection goes back to the pool, unless that takes longer than
   * {@code limit} (then it closes). A client resetting streams thus costs no new connection.
   */
  void abandon(java.time.Duration limit);

  /**
   * After a 101: the connection leaves HTTP and the pool for good. {@code successor} replaces
   * the relay and the HTTP codec; bytes the codec still held reach it. The backend's long-running
   * count ends when the connection closes.
   */
  void handOver(ChannelHandler successor);
}
