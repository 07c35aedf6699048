package io.apilb.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ThreadLocalWindowReservoirTest {
  @Test
  void keepsTheLastValuesOfEachThreadAndMergesThem() throws Exception {
    ThreadLocalWindowReservoir r = new ThreadLocalWindowReservoir(4);
    for (long v = 1; v <= 6; v++) {
      r.update(v); // 1 and 2 are overwritten
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread other = new Thread(() -> {
      try {
        r.update(100);
        r.update(200);
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    other.start();
    other.join();
    assertThat(failure.get()).isNull();
    assertThat(r.size()).isEqualTo(6);
    assertThat(r.getSnapshot().getValues()).containsExactly(3, 4, 5, 6, 100, 200);
    assertThat(r.getSnapshot().getMax()).isEqualTo(200);
  }

  @Test
  void emptyReservoirHasAnEmptySnapshot() {
    assertThat(new ThreadLocalWindowReservoir(8).getSnapshot().size()).isZero();
  }

  @Test
  void refusesANonPositiveWindow() {
    assertThatThrownBy(() -> new ThreadLocalWindowReservoir(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
