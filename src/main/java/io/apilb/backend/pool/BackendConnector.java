package io.apilb.backend.pool;

import io.apilb.backend.BackendEntry;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/** Where exchanges get their {@link BackendAttempt}s (the pools; a fake in tests). */
public interface BackendConnector {
  /**
   * A connection to {@code backend} of {@code kind} for one request, on {@code loop} (call on
   * {@code loop}). A {@code dedicated} one is fresh and never pooled (upgrades take it over).
   * Fails with {@link BackendConnectException} when no request byte can have been sent.
   */
  Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, ConnectionKind kind, boolean dedicated);

  /**
   * As {@link #attempt(EventLoop, BackendEntry, ConnectionKind, boolean)}, on a stream of a
   * multiplexed (HTTP/2) connection shared as {@code sharing} allows, where the backend speaks
   * HTTP/2; by default an HTTP/1.1 connection of {@code sharing}'s kind.
   */
  default Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, Sharing sharing, boolean dedicated) {
    return attempt(loop, backend, sharing.kind(), dedicated);
  }
}
