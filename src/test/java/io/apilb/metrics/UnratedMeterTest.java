package io.apilb.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Meter;
import org.junit.jupiter.api.Test;

class UnratedMeterTest {
  @Test
  void countsEveryMarkAndKeepsNoRates() {
    Meter m = UnratedMeter.create();
    m.mark();
    m.mark(41);
    assertThat(m.getCount()).isEqualTo(42);
    assertThat(m.getOneMinuteRate()).isZero();
    assertThat(m.getFiveMinuteRate()).isZero();
    assertThat(m.getFifteenMinuteRate()).isZero();
  }
}
