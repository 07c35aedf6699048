package io.apilb.backend.pool;

import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;

/**
 * Reads the response of a stream whose client went away after sending the whole request to its
 * end, dropping it, so the backend is not cut off mid-request; the stream's slot is then free.
 */
final class Http2AbandonedStream implements BackendAttempt.Listener {
  private final Http2StreamAttempt attempt;
  private final ScheduledFuture<?> deadline;

  Http2AbandonedStream(Http2StreamAttempt attempt, ScheduledFuture<?> deadline) {
    this.attempt = attempt;
    this.deadline = deadline;
  }

  @Override
  public void onBackendMessage(Object msg) {
    boolean last = msg instanceof LastHttpContent;
    ReferenceCountUtil.release(msg);
    if (last) {
      deadline.cancel(false);
      attempt.close();
    } else {
      attempt.read();
    }
  }

  @Override
  public void onBackendInactive() {
    deadline.cancel(false);
  }

  @Override
  public void onBackendWritabilityChanged(boolean writable) {}

  @Override
  public void onBackendReadComplete() {}
}
