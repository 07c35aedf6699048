package io.apilb.controlplane;

import io.apilb.config.DiscoveryMode;
import io.apilb.controlplane.ControlPlaneReader.ApiStatusException;
import io.apilb.controlplane.DiscoveryStatus.Endpoint;
import io.apilb.metrics.ApilbMetrics;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery of the apiservers from the {@code default/kubernetes} EndpointSlices, or the
 * {@code default/kubernetes} Endpoints where the cluster has none. A good, non-empty result is
 * handed on; a failed read or an empty result keeps the last good set, says why (logged once per
 * change, and on the status page) and never empties the backends. Control thread only.
 */
final class Discovery {
  private static final Logger log = LoggerFactory.getLogger(Discovery.class);
  static final String SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
      + "?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes";
  static final String ENDPOINTS = "/api/v1/namespaces/default/endpoints/kubernetes";

  private final ControlPlaneReader reader;
  private final ApilbMetrics metrics;
  private final Consumer<List<Endpoint>> onDiscovered;
  private volatile DiscoveryStatus status;

  Discovery(ControlPlaneReader reader, DiscoveryMode mode, ApilbMetrics metrics, Consumer<List<Endpoint>> onDiscovered) {
    this.reader = reader;
    this.metrics = metrics;
    this.onDiscovered = onDiscovered;
    this.status = DiscoveryStatus.initial(mode);
  }

  DiscoveryStatus status() {
    return status;
  }

  CompletableFuture<?> read() {
    Instant at = ControlPlaneReader.now(reader);
    return reader.getJson(SLICES).thenCompose(list -> {
      List<Endpoint> found = EndpointParsing.fromSlices(list);
      if (!list.path("items").isEmpty()) {
        return CompletableFuture.completedFuture(new Found(found, "EndpointSlice"));
      }
      return endpoints();
    }).exceptionallyCompose(t -> {
      if (unwrap(t) instanceof ApiStatusException e && e.status == 404) {
        return endpoints(); // discovery.k8s.io not served: an older or trimmed apiserver
      }
      return CompletableFuture.failedFuture(t);
    }).handle((found, t) -> {
      if (t != null) {
        keep("read failed: " + ControlPlaneReader.why(t), "failed", at);
      } else if (found.endpoints().isEmpty()) {
        keep(found.source() + " default/kubernetes lists no ready apiserver", "empty", at);
      } else {
        accept(found, at);
      }
      return null;
    });
  }

  private CompletableFuture<Found> endpoints() {
    return reader.getJson(ENDPOINTS)
        .thenApply(ep -> new Found(EndpointParsing.fromEndpoints(ep), "Endpoints"));
  }

  private record Found(List<Endpoint> endpoints, String source) {}

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private void accept(Found found, Instant at) {
    DiscoveryStatus before = status;
    status = new DiscoveryStatus(before.mode(), found.endpoints(), found.source(), at, "", at);
    metrics.discoveryRead("ok");
    if (!before.endpoints().equals(found.endpoints()) || !before.message().isEmpty()) {
      log.info("discovery: {} default/kubernetes publishes {} apiservers: {}", found.source(),
          found.endpoints().size(), String.join(", ", found.endpoints().stream().map(e -> e.host() + ":" + e.port()).toList()));
    }
    onDiscovered.accept(found.endpoints());
  }

  private void keep(String why, String result, Instant at) {
    DiscoveryStatus before = status;
    String message = before.endpoints().isEmpty()
        ? why + "; keeping the configured backends"
        : why + "; keeping the last good set of " + before.endpoints().size() + " from " + before.lastSuccess();
    status = new DiscoveryStatus(before.mode(), before.endpoints(), before.source(), before.lastSuccess(), message, at);
    metrics.discoveryRead(result);
    if (!why.equals(stripKeep(before.message()))) {
      log.warn("discovery: {}", message);
    }
  }

  private static String stripKeep(String message) {
    int i = message.indexOf("; keeping");
    return i < 0 ? message : message.substring(0, i);
  }
}
