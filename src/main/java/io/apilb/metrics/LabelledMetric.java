package io.apilb.metrics;

import com.codahale.metrics.Metric;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/**
 * A Dropwizard metric that is a whole labelled family (label values are not name segments, so
 * they may contain dots, as API groups do). It lives in the Dropwizard registry like any other
 * metric; Dropwizard's own reporters skip it, and {@link PrometheusExporter} asks it for its
 * snapshot.
 */
interface LabelledMetric extends Metric {
  /** The family as it is now, named and described. */
  MetricSnapshot snapshot();
}
