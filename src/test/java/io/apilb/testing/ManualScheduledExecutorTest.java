package io.apilb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The test double itself: it must behave like a single control thread on virtual time. */
class ManualScheduledExecutorTest {
  private final ManualScheduledExecutor exec = new ManualScheduledExecutor();
  private final List<String> ran = new ArrayList<>();

  @Test
  void runsNothingUntilAskedAndThenInOrderOfDueTimeAndSubmission() {
    exec.schedule(() -> ran.add("b@2s"), 2, TimeUnit.SECONDS);
    exec.schedule(() -> ran.add("a@1s"), 1, TimeUnit.SECONDS);
    exec.execute(() -> ran.add("now1"));
    exec.execute(() -> ran.add("now2"));
    assertThat(ran).isEmpty();

    assertThat(exec.runPending()).isEqualTo(2);
    assertThat(ran).containsExactly("now1", "now2");

    exec.advance(Duration.ofMillis(1999));
    assertThat(ran).containsExactly("now1", "now2", "a@1s");
    exec.advance(Duration.ofMillis(1));
    assertThat(ran).containsExactly("now1", "now2", "a@1s", "b@2s");
  }

  @Test
  void fixedRateTasksRunOncePerPeriodUntilCancelled() {
    ScheduledFuture<?> f = exec.scheduleAtFixedRate(() -> ran.add("t=" + exec.elapsed().toMillis()),
        500, 1000, TimeUnit.MILLISECONDS);
    exec.advance(Duration.ofMillis(3000));
    assertThat(ran).containsExactly("t=500", "t=1500", "t=2500");
    assertThat(f.isDone()).isFalse();

    assertThat(f.cancel(false)).isTrue();
    exec.advance(Duration.ofSeconds(10));
    assertThat(ran).hasSize(3);
    assertThat(f.isDone()).isTrue();
    assertThat(exec.queued()).isZero();
  }

  @Test
  void aTaskMayCancelItsOwnPeriodicFuture() {
    List<ScheduledFuture<?>> self = new ArrayList<>();
    self.add(exec.scheduleAtFixedRate(() -> {
      ran.add("run");
      self.get(0).cancel(false);
    }, 0, 1, TimeUnit.SECONDS));
    exec.advance(Duration.ofSeconds(5));
    assertThat(ran).containsExactly("run");
  }

  @Test
  void tasksScheduledForNowByATaskRunInTheSamePass() {
    exec.execute(() -> exec.execute(() -> ran.add("inner")));
    assertThat(exec.runPending()).isEqualTo(2);
    assertThat(ran).containsExactly("inner");
  }

  @Test
  void clockFollowsVirtualTime() {
    var clock = exec.clock();
    assertThat(clock.instant()).isEqualTo(ManualScheduledExecutor.DEFAULT_ORIGIN);
    exec.advance(Duration.ofMillis(1234));
    assertThat(clock.instant()).isEqualTo(ManualScheduledExecutor.DEFAULT_ORIGIN.plusMillis(1234));
    assertThat(exec.nextDelay()).isEmpty();
    exec.schedule(() -> { }, 3, TimeUnit.SECONDS);
    assertThat(exec.nextDelay()).contains(Duration.ofSeconds(3));
  }

  @Test
  void aThrowingTaskFailsTheTestButSubmitCapturesItsException() throws Exception {
    exec.execute(() -> {
      throw new IllegalStateException("boom");
    });
    assertThatThrownBy(exec::runPending).isInstanceOf(IllegalStateException.class).hasMessage("boom");

    var f = exec.submit(() -> {
      throw new IllegalStateException("captured");
    });
    exec.runPending();
    assertThatThrownBy(f::get).hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void rejectsWorkAfterShutdown() {
    exec.shutdown();
    assertThatThrownBy(() -> exec.execute(() -> { }))
        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
  }
}
