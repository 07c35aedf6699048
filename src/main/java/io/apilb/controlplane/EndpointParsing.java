package io.apilb.controlplane;

import io.apilb.controlplane.DiscoveryStatus.Endpoint;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the apiserver endpoints out of the {@code default/kubernetes} EndpointSlices and
 * Endpoints that kube-apiserver's endpoint reconciler writes. Pure.
 */
final class EndpointParsing {
  private EndpointParsing() {}

  /**
   * Every ready address of an EndpointSliceList with the slice's {@code https} port (the first
   * port when none is named so). An endpoint without {@code conditions.ready} counts as ready,
   * as the API defines.
   */
  static List<Endpoint> fromSlices(JsonValue list) {
    Set<Endpoint> out = new LinkedHashSet<>();
    for (JsonValue slice : list.path("items")) {
      int port = port(slice.path("ports"));
      if (port <= 0) {
        continue;
      }
      for (JsonValue ep : slice.path("endpoints")) {
        JsonValue ready = ep.path("conditions").path("ready");
        if (ready.isBoolean() && !ready.asBoolean()) {
          continue;
        }
        for (JsonValue address : ep.path("addresses")) {
          add(out, address.asText(), port);
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** The addresses of every subset of an Endpoints object (not-ready addresses excluded). */
  static List<Endpoint> fromEndpoints(JsonValue endpoints) {
    Set<Endpoint> out = new LinkedHashSet<>();
    for (JsonValue subset : endpoints.path("subsets")) {
      int port = port(subset.path("ports"));
      if (port <= 0) {
        continue;
      }
      for (JsonValue address : subset.path("addresses")) {
        add(out, address.path("ip").asText(), port);
      }
    }
    return new ArrayList<>(out);
  }

  /** A blank address (a null or a missing field) is skipped: as a backend's host it would mean loopback. */
  private static void add(Set<Endpoint> out, String address, int port) {
    if (!address.isBlank()) {
      out.add(new Endpoint(address, port));
    }
  }

  private static int port(JsonValue ports) {
    int first = -1;
    for (JsonValue p : ports) {
      if (first < 0) {
        first = p.path("port").asInt(-1);
      }
      if ("https".equals(p.path("name").asText())) {
        return p.path("port").asInt(-1);
      }
    }
    return first;
  }
}
