package io.apilb.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code apilb_backend_api_request_duration_seconds{backend,verb_class}}: a cumulative histogram
 * of request durations per backend and verb class ({@link ApiVerbs#latencyClass}), so that rates
 * and quantiles can be aggregated across apilb instances (a summary cannot be). Long-running
 * requests are their own class: their duration is how long a watch or stream stayed open.
 */
final class LatencyHistograms implements LabelledMetric {
  static final String NAME = "apilb_backend_api_request_duration_seconds";
  /** Upper bounds in seconds: kube-apiserver's short-request range, then long-running lifetimes. */
  static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600};
  private static final long[] BOUNDS_NANOS = new long[BOUNDS.length];

  static {
    for (int i = 0; i < BOUNDS.length; i++) {
      BOUNDS_NANOS[i] = (long) (BOUNDS[i] * TimeUnit.SECONDS.toNanos(1));
    }
  }

  /** One backend and verb class: a count per bucket (the last is +Inf) and the sum. */
  static final class Child {
    private final LongAdder[] buckets = new LongAdder[BOUNDS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    Child() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    void observe(long nanos) {
      int i = 0;
      while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) {
        i++;
      }
      buckets[i].increment();
      sumNanos.add(nanos);
    }

    long count() {
      long n = 0;
      for (LongAdder b : buckets) {
        n += b.sum();
      }
      return n;
    }

    /** The q-quantile estimated from the buckets (upper bound of the bucket it falls in), in seconds. */
    double quantile(double q) {
      long total = count();
      if (total == 0) {
        return Double.NaN;
      }
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < BOUNDS.length; i++) {
        seen += buckets[i].sum();
        if (seen >= rank) {
          return BOUNDS[i];
        }
      }
      return Double.POSITIVE_INFINITY;
    }

    HistogramDataPointSnapshot point(Labels labels) {
      long[] counts = new long[buckets.length];
      double[] bounds = new double[buckets.length];
      for (int i = 0; i < buckets.length; i++) {
        counts[i] = buckets[i].sum();
        bounds[i] = i < BOUNDS.length ? BOUNDS[i] : Double.POSITIVE_INFINITY;
      }
      return HistogramDataPointSnapshot.builder().classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
          .sum(sumNanos.sum() / 1e9).labels(labels).build();
    }
  }

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Child>> byBackend = new ConcurrentHashMap<>();

  void observe(String backend, String verbClass, long nanos) {
    ConcurrentHashMap<String, Child> classes = byBackend.get(backend);
    if (classes == null) {
      classes = byBackend.computeIfAbsent(backend, b -> new ConcurrentHashMap<>());
    }
    Child c = classes.get(verbClass);
    if (c == null) {
      c = classes.computeIfAbsent(verbClass, v -> new Child());
    }
    c.observe(nanos);
  }

  /** The histogram of one backend and class, if it has seen a request. */
  Child child(String backend, String verbClass) {
    ConcurrentHashMap<String, Child> classes = byBackend.get(backend);
    return classes == null ? null : classes.get(verbClass);
  }

  void remove(String backend) {
    byBackend.remove(backend);
  }

  @Override
  public MetricSnapshot snapshot() {
    List<HistogramDataPointSnapshot> points = new ArrayList<>();
    byBackend.forEach((backend, classes) -> classes.forEach((verbClass, child) ->
        points.add(child.point(Labels.of("backend", backend, "verb_class", verbClass)))));
    return new HistogramSnapshot(new MetricMetadata(NAME,
        "Duration of requests relayed to a backend, by verb class: read (get, list), write (create, update, "
            + "patch, delete, deletecollection), long_running (watch, exec, attach, port-forward, logs -f: how long "
            + "the stream stayed open) and other (discovery and other non-resource paths)"), points);
  }
}
