package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A request an HTTP/2 backend refused unprocessed goes elsewhere, even while its body still arrives. */
class RefusedRetryTest {
  /** Collects what is written, as text; "|" for the body's end. */
  static final class Sink implements BackendAttempt {
    final List<String> written = new ArrayList<>();

    @Override
    public void write(Object msg) {
      HttpContent c = (HttpContent) msg;
      written.add(c.content().toString(StandardCharsets.UTF_8) + (c instanceof LastHttpContent ? "|" : ""));
      c.release();
    }

    @Override public BackendEntry backend() { return null; }
    @Override public void start(Listener listener, boolean longRunning) {}
    @Override public void flush() {}
    @Override public boolean isWritable() { return true; }
    @Override public void read() {}
    @Override public void release() {}
    @Override public void close() {}
    @Override public void abandon(Duration limit) {}
    @Override public void handOver(ChannelHandler successor) {}
  }

  private static HttpContent part(String s, boolean last) {
    return last ? new DefaultLastHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8))
        : new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
  }

  @Test
  void aPostRefusedBeforeItsBodyEndedIsReplayedThenContinued() {
    RequestBody body = new RequestBody(1024);
    Sink first = new Sink();
    body.forward(part("ab", false), first);
    assertThat(RetryPolicy.mayRetry(RetryReason.REFUSED_STREAM, HttpMethod.POST, body, 0)).isTrue();
    assertThat(RetryPolicy.mayRetry(RetryReason.BACKEND_RESET, HttpMethod.POST, body, 0)).isFalse();
    body.replay();
    HttpContent rest = part("cd", true);
    body.received(rest);
    body.queue(rest);
    Sink second = new Sink();
    body.sendQueued(second);
    assertThat(String.join("", second.written)).isEqualTo("abcd|");
    body.release();
  }

  @Test
  void aBodyBeyondTheRetryBufferIsNotRetried() {
    RequestBody body = new RequestBody(1);
    body.forward(part("abc", false), new Sink());
    assertThat(RetryPolicy.mayRetry(RetryReason.REFUSED_STREAM, HttpMethod.POST, body, 0)).isFalse();
    body.release();
  }

  @Test
  void refusalsAreRetriedAFewTimesOnly() {
    RequestBody body = new RequestBody(1024);
    body.forward(part("", true), new Sink());
    assertThat(RetryPolicy.mayRetry(RetryReason.REFUSED_STREAM, HttpMethod.POST, body, 2)).isTrue();
    assertThat(RetryPolicy.mayRetry(RetryReason.REFUSED_STREAM, HttpMethod.POST, body, 3)).isFalse();
    body.release();
  }
}
