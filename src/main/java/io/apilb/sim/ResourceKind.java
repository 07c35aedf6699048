package io.apilb.sim;

import java.util.List;

/**
 * The resources the simulator stores: core/v1 ConfigMaps, Namespaces, Pods and Endpoints,
 * coordination.k8s.io/v1 Leases and discovery.k8s.io/v1 EndpointSlices.
 */
enum ResourceKind {
  CONFIGMAPS("configmaps", "configmap", "ConfigMap", true, List.of("cm"), "qFsyl6wFWjQ="),
  NAMESPACES("namespaces", "namespace", "Namespace", false, List.of("ns"), "Q3oi5N2YM8M="),
  PODS("pods", "pod", "Pod", true, List.of("po"), "xPOwRZ+Yhw8="),
  ENDPOINTS("endpoints", "endpoints", "Endpoints", true, List.of("ep"), "fWeeMqaN/OA="),
  LEASES("coordination.k8s.io", "leases", "lease", "Lease", true, List.of(), "gqkMMb/YqFM="),
  ENDPOINTSLICES("discovery.k8s.io", "endpointslices", "endpointslice", "EndpointSlice", true, List.of(),
      "Nx3SIv6I0mE=");

  /** API group, "" for core. Every kind here is served at version v1. */
  final String group;

  final String plural;
  final String singular;
  final String kind;
  final boolean namespaced;
  final List<String> shortNames;
  final String storageVersionHash;

  ResourceKind(String plural, String singular, String kind, boolean namespaced, List<String> shortNames,
      String storageVersionHash) {
    this("", plural, singular, kind, namespaced, shortNames, storageVersionHash);
  }

  ResourceKind(String group, String plural, String singular, String kind, boolean namespaced,
      List<String> shortNames, String storageVersionHash) {
    this.group = group;
    this.plural = plural;
    this.singular = singular;
    this.kind = kind;
    this.namespaced = namespaced;
    this.shortNames = shortNames;
    this.storageVersionHash = storageVersionHash;
  }

  /** {@code v1} or {@code group/v1}. */
  String apiVersion() {
    return group.isEmpty() ? "v1" : group + "/v1";
  }

  /** The kind of the core group with that plural. */
  static ResourceKind byPlural(String plural) {
    return byPlural("", plural);
  }

  static ResourceKind byPlural(String group, String plural) {
    for (ResourceKind k : values()) {
      if (k.group.equals(group) && k.plural.equals(plural)) {
        return k;
      }
    }
    return null;
  }
}
