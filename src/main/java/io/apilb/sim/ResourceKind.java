package io.apilb.sim;

import java.util.List;

/** The core/v1 resources the simulator stores. */
enum ResourceKind {
  CONFIGMAPS("configmaps", "configmap", "ConfigMap", true, List.of("cm"), "qFsyl6wFWjQ="),
  NAMESPACES("namespaces", "namespace", "Namespace", false, List.of("ns"), "Q3oi5N2YM8M="),
  PODS("pods", "pod", "Pod", true, List.of("po"), "xPOwRZ+Yhw8=");

  final String plural;
  final String singular;
  final String kind;
  final boolean namespaced;
  final List<String> shortNames;
  final String storageVersionHash;

  ResourceKind(String plural, String singular, String kind, boolean namespaced, List<String> shortNames,
      String storageVersionHash) {
    this.plural = plural;
    this.singular = singular;
    this.kind = kind;
    this.namespaced = namespaced;
    this.shortNames = shortNames;
    this.storageVersionHash = storageVersionHash;
  }

  static ResourceKind byPlural(String plural) {
    for (ResourceKind k : values()) {
      if (k.plural.equals(plural)) {
        return k;
      }
    }
    return null;
  }
}
