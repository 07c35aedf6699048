package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The body an exchange holds: queued until a backend is attached, copied for a retry within a bound. */
class RequestBodyTest {
  /** An attempt that only collects what is written to it. */
  private static final class Collecting implements BackendAttempt {
    final List<Object> written = new ArrayList<>();

    @Override public BackendEntry backend() { return null; }
    @Override public void start(Listener listener, boolean longRunning) {}
    @Override public void write(Object msg) { written.add(msg); }
    @Override public void flush() {}
    @Override public boolean isWritable() { return true; }
    @Override public void read() {}
    @Override public void release() {}
    @Override public void close() {}
    @Override public void abandon(java.time.Duration limit) {}
    @Override public void handOver(ChannelHandler successor) {}

    String text() {
      StringBuilder b = new StringBuilder();
      for (Object o : written) {
        ByteBuf bytes = ((HttpContent) o).content();
        b.append(bytes.toString(StandardCharsets.US_ASCII));
        if (o instanceof LastHttpContent) {
          b.append('|');
        }
        ReferenceCountUtil.release(o);
      }
      written.clear();
      return b.toString();
    }
  }

  private static HttpContent chunk(String s, boolean last) {
    ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    return last ? new DefaultLastHttpContent(b) : new DefaultHttpContent(b);
  }

  @Test
  void queuesUntilABackendIsAttachedThenReplaysTheWholeBodyElsewhere() {
    RequestBody body = new RequestBody(1024);
    Collecting first = new Collecting();
    Collecting second = new Collecting();
    for (HttpContent c : List.of(chunk("abc", false), chunk("def", true))) {
      body.received(c);
      body.queue(c);
    }
    body.sendQueued(first);
    body.replay();
    body.sendQueued(second);

    assertThat(first.text()).isEqualTo("abcdef|");
    assertThat(second.text()).isEqualTo("abcdef|");
    assertThat(body.bytes()).isEqualTo(6);
    assertThat(body.complete()).isTrue();
    assertThat(body.replayable()).isTrue();
    body.release();
  }

  @Test
  void aBodyOverTheRetryBufferIsNoLongerReplayableAndItsCopyIsDropped() {
    RequestBody body = new RequestBody(4);
    HttpContent a = chunk("abc", false);
    HttpContent b = chunk("def", true);
    body.received(a);
    assertThat(a.content().refCnt()).as("a copy shares the bytes").isEqualTo(2);
    body.received(b);

    assertThat(body.replayable()).isFalse();
    assertThat(a.content().refCnt()).as("the copy was released on overflow").isEqualTo(1);
    a.release();
    b.release();
    body.release();
  }

  @Test
  void anUnfinishedBodyIsNotReplayable() {
    RequestBody body = new RequestBody(1024);
    HttpContent a = chunk("abc", false);
    assertThat(body.received(a)).isFalse();
    assertThat(body.replayable()).isFalse();
    a.release();
    body.release();
  }

  @Test
  void releaseDropsQueuedContentAndCopies() {
    RequestBody body = new RequestBody(1024);
    HttpContent a = chunk("abc", false);
    body.received(a);
    body.queue(a);

    body.release();

    assertThat(a.content().refCnt()).isZero();
  }
}
