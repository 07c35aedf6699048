package io.apilb.metrics;

import com.codahale.metrics.Clock;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MovingAverages;

/**
 * A Dropwizard meter that counts and keeps no rates, for the per-backend latency timers. A
 * timer's meter updates three exponentially weighted rates and checks the clock for a tick on
 * every request, and nothing reads them: the Prometheus export of a timer is a summary
 * (quantiles and count), and rates are PromQL's job ({@code rate()} over the count). Its rates
 * read 0.
 */
final class UnratedMeter {
  private UnratedMeter() {}

  static Meter create() {
    return new Meter(NoRates.INSTANCE, Clock.defaultClock());
  }

  private enum NoRates implements MovingAverages {
    INSTANCE;

    @Override
    public void tickIfNecessary() {
      // no rates to decay
    }

    @Override
    public void update(long n) {
      // no rates to feed
    }

    @Override
    public double getM1Rate() {
      return 0;
    }

    @Override
    public double getM5Rate() {
      return 0;
    }

    @Override
    public double getM15Rate() {
      return 0;
    }
  }
}
