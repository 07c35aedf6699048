package io.apilb.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code jvm.buffers.<pool>.count|used|capacity}: the JVM's buffer pools (direct, mapped), the
 * names metrics-jvm's {@code BufferPoolMetricSet} gives them. That set reads the pools through
 * the platform MBeanServer, and creating that server registers and introspects every platform
 * MXBean: some hundred JMX classes and their reflection data resident in a process that
 * otherwise never uses JMX. The pools' own MXBeans give the same figures without it.
 */
final class BufferPoolGauges implements MetricSet {
  @Override
  public Map<String, Metric> getMetrics() {
    Map<String, Metric> gauges = new LinkedHashMap<>();
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      String name = pool.getName();
      if (!name.equals("direct") && !name.equals("mapped")) {
        continue; // JDK 14+ adds "mapped - 'non-volatile memory'", which BufferPoolMetricSet never exported
      }
      gauges.put(name + ".count", new PoolGauge(pool::getCount));
      gauges.put(name + ".used", new PoolGauge(pool::getMemoryUsed));
      gauges.put(name + ".capacity", new PoolGauge(pool::getTotalCapacity));
    }
    return gauges;
  }

  /** A named class rather than a lambda: the exporter's help text names the gauge's type. */
  private static final class PoolGauge implements Gauge<Long> {
    private final LongSupplier value;

    PoolGauge(LongSupplier value) {
      this.value = value;
    }

    @Override
    public Long getValue() {
      return value.getAsLong();
    }
  }
}
