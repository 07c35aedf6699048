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
}
