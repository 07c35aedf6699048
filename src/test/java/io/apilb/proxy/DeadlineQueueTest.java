package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlineQueueTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final EventLoop loop = channel.eventLoop();
  private final List<String> expired = new ArrayList<>();

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private RequestDeadline start(String name, int seconds) {
    return RequestDeadline.start(loop, Duration.ofSeconds(seconds), () -> expired.add(name));
  }

  private void advance(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runPendingTasks();
    channel.runScheduledPendingTasks();
  }

  @Test
  void deadlinesExpireInOrderAndNotBefore() {
    start("a", 10);
    advance(1_000);
    start("b", 10);
    advance(8_999);
    assertThat(expired).isEmpty();
    advance(1);
    assertThat(expired).containsExactly("a");
    advance(999);
    assertThat(expired).containsExactly("a");
    advance(1);
    assertThat(expired).containsExactly("a", "b");
  }

  @Test
  void aCancelledDeadlineNeverRunsAndTheNextKeepsItsOwnTime() {
    RequestDeadline a = start("a", 10);
    advance(2_000);
    RequestDeadline b = start("b", 10);
    start("c", 10);
    a.cancel();
    b.cancel();
    b.cancel(); // twice is harmless
    advance(8_000);
    assertThat(expired).as("a's tick (at 10 s) finds its deadline gone and waits for c").isEmpty();
    advance(1_999);
    assertThat(expired).isEmpty();
    advance(1);
    assertThat(expired).containsExactly("c");
    assertThat(DeadlineQueue.of(loop, TimeUnit.SECONDS.toNanos(10)).size()).isZero();
  }

  @Test
  void cancellingTheMiddleOrTheTailKeepsTheRestLinked() {
    start("a", 5);
    RequestDeadline b = start("b", 5);
    RequestDeadline c = start("c", 5);
    start("d", 5);
    b.cancel();
    advance(1);
    c.cancel();
    start("e", 5);
    assertThat(DeadlineQueue.of(loop, TimeUnit.SECONDS.toNanos(5)).size()).isEqualTo(3);
    advance(5_000);
    assertThat(expired).containsExactly("a", "d", "e");
  }

  @Test
  void aChangedTimeoutGetsItsOwnQueueSoBothKeepTheirOrder() {
    start("slow", 60);
    start("fast", 5); // after a reload that shortened the timeout
    advance(5_000);
    assertThat(expired).containsExactly("fast");
    advance(55_000);
    assertThat(expired).containsExactly("fast", "slow");
  }

  @Test
  void anExpiryThatStartsARequestDoesNotDelayTheDeadlinesWaiting() {
    // HTTP/1.1 pipelining: a 504 lets the connection's next request start inside the expiry
    RequestDeadline.start(loop, Duration.ofSeconds(10), () -> {
      expired.add("a");
      start("c", 10);
    });
    advance(1_000);
    start("b", 10);
    advance(9_000);
    assertThat(expired).containsExactly("a");
    advance(1_000);
    assertThat(expired).as("b at 11 s, not at c's 20 s").containsExactly("a", "b");
    advance(9_000);
    assertThat(expired).containsExactly("a", "b", "c");
  }

  @Test
  void aReplacedTimeoutLeavesNothingWaitingInItsQueue() {
    start("old", 60).cancel();
    start("new", 5);
    assertThat(DeadlineQueue.of(loop, TimeUnit.SECONDS.toNanos(60)).size()).isZero();
    advance(5_000);
    assertThat(expired).containsExactly("new");
  }

  @Test
  void aFailingExpiryDoesNotStopTheOthers() {
    RequestDeadline.start(loop, Duration.ofSeconds(1), () -> {
      throw new IllegalStateException("boom");
    });
    start("after", 1);
    advance(1_000);
    assertThat(expired).containsExactly("after");
  }

  @Test
  void noTimeoutMeansNoDeadline() {
    RequestDeadline none = RequestDeadline.start(loop, Duration.ZERO, () -> expired.add("never"));
    assertThat(none).isSameAs(RequestDeadline.NONE);
    none.cancel();
    advance(100_000);
    assertThat(expired).isEmpty();
  }
}
