package io.apilb.metrics;

import com.codahale.metrics.Counter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@code apilb_backend_api_requests_total{backend,verb,group,resource,subresource,code}}: requests
 * by what kube-apiserver's {@code apiserver_request_total} counts them by, per backend.
 *
 * <p>Cardinality is bounded: verbs and subresources come from fixed sets (anything else is
 * {@code other}); at most {@code maxResources} distinct group/resource pairs get their own values
 * (first come, across backends), every further one is {@code group="other",resource="other"}.
 *
 * <p>Per request: four lookups in concurrent maps keyed by the strings the caller already has,
 * and an array slot by status; no allocation once a series exists. Series are created once and
 * never removed while their backend exists.
 */
final class ApiRequestCounters implements LabelledMetric {
  static final String NAME = "apilb_backend_api_requests";
  static final String OTHER = "other";
  private static final int STATUS_SLOTS = 500;

  private static final Set<String> SUBRESOURCES = Set.of("", "status", "scale", "log", "exec", "attach",
      "portforward", "proxy", "binding", "eviction", "token", "ephemeralcontainers", "resize", "approval",
      "finalize");

  private final int maxResources;
  private final AtomicInteger resourcesAdmitted = new AtomicInteger();
  /** group -> resources with their own label values. */
  private final ConcurrentHashMap<String, Set<String>> admitted = new ConcurrentHashMap<>();
  /** backend -> verb -> group -> resource -> subresource -> counters by status - 100. */
  private final ConcurrentHashMap<String, Level<Level<Level<Level<AtomicReferenceArray<Counter>>>>>> byBackend =
      new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Series> series = new ConcurrentLinkedQueue<>();

  /** One exported series. */
  private record Series(String backend, String verb, String group, String resource, String subresource, String code,
      Counter counter) {}

  /** One level of the lookup tree: a concurrent map that creates its children once. */
  private static final class Level<T> extends ConcurrentHashMap<String, T> {
    T child(String key, java.util.function.Supplier<T> create) {
      T t = get(key);
      return t != null ? t : computeIfAbsent(key, k -> create.get());
    }
  }

  ApiRequestCounters(int maxResources) {
    this.maxResources = maxResources;
  }

  /**
   * Counts one request. {@code verb} is kube-apiserver's upper-case verb (or the HTTP method for
   * a non-resource request), {@code group} "" for the core group, {@code resource} "" for a
   * non-resource request.
   */
  void inc(String backend, String verb, String group, String resource, String subresource, int status) {
    String v = ApiVerbs.known(verb) ? verb : OTHER;
    String g = group;
    String r = resource;
    if (!r.isEmpty() && !admit(g, r)) {
      g = OTHER;
      r = OTHER;
    }
    String s = SUBRESOURCES.contains(subresource) ? subresource : OTHER;
    AtomicReferenceArray<Counter> codes = byBackend.computeIfAbsent(backend, b -> new Level<>())
        .child(v, Level::new).child(g, Level::new).child(r, Level::new)
        .child(s, () -> new AtomicReferenceArray<>(STATUS_SLOTS));
    int slot = status - 100;
    if (slot < 0 || slot >= STATUS_SLOTS) {
      slot = 499; // 599: anything outside 100..599 is counted there rather than growing the set
    }
    Counter c = codes.get(slot);
    if (c == null) {
      Counter created = new Counter();
      if (codes.compareAndSet(slot, null, created)) {
        series.add(new Series(backend, v, g, r, s, Integer.toString(slot + 100), created));
      }
      c = codes.get(slot);
    }
    c.inc();
  }

  private boolean admit(String group, String resource) {
    Set<String> resources = admitted.get(group);
    if (resources != null && resources.contains(resource)) {
      return true;
    }
    synchronized (admitted) {
      Set<String> now = admitted.computeIfAbsent(group, x -> ConcurrentHashMap.newKeySet());
      if (now.contains(resource)) {
        return true;
      }
      if (resourcesAdmitted.get() >= maxResources) {
        return false;
      }
      resourcesAdmitted.incrementAndGet();
      now.add(resource);
      return true;
    }
  }

  /** Forgets a removed backend's series. */
  void remove(String backend) {
    byBackend.remove(backend);
    series.removeIf(s -> s.backend().equals(backend));
  }

  @Override
  public MetricSnapshot snapshot() {
    List<CounterDataPointSnapshot> points = new ArrayList<>();
    for (Series s : series) {
      points.add(CounterDataPointSnapshot.builder().value(s.counter().getCount())
          .labels(Labels.of("backend", s.backend(), "verb", s.verb(), "group", s.group(), "resource", s.resource(),
              "subresource", s.subresource(), "code", s.code()))
          .build());
    }
    return new CounterSnapshot(new MetricMetadata(NAME, "Requests relayed to a backend by kube-apiserver verb, API group, resource, subresource and "
            + "response code (like apiserver_request_total); resources beyond apilb.metrics.max-resources are "
            + "counted as other"), points);
  }
}
