package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The simulated apiserver's discovery documents: {@code /version} and the APIResourceLists. */
final class DiscoveryDocuments {
  private DiscoveryDocuments() {}

  /** kube-apiserver's /version for {@code gitVersion} (vMAJOR.MINOR.PATCH). */
  static ObjectNode version(String gitVersion) {
    String[] parts = gitVersion.replaceFirst("^v", "").split("\\.");
    String major = parts[0];
    String minor = parts.length > 1 ? parts[1] : "0";
    ObjectNode v = KubeJson.F.objectNode();
    v.put("major", major).put("minor", minor).put("emulationMajor", major).put("emulationMinor", minor)
        .put("minCompatibilityMajor", major)
        .put("minCompatibilityMinor", Integer.toString(Math.max(0, Integer.parseInt(minor) - 1)))
        .put("gitVersion", gitVersion).put("gitCommit", "60a317eadfcb839692a68eab88b2096f4d708f4f")
        .put("gitTreeState", "clean").put("buildDate", "2025-04-23T13:07:52Z").put("goVersion", "go1.24.2")
        .put("compiler", "gc").put("platform", "linux/amd64");
    return v;
  }

  /** The APIResourceList of {@code group} ("": the core group). */
  static ObjectNode resourceList(String group) {
    ObjectNode l = KubeJson.F.objectNode().put("kind", "APIResourceList")
        .put("groupVersion", group.isEmpty() ? "v1" : group + "/v1");
    if (!group.isEmpty()) {
      l.put("apiVersion", "v1");
    }
    ArrayNode resources = l.putArray("resources");
    for (ResourceKind k : ResourceKind.values()) {
      if (!k.group.equals(group)) {
        continue;
      }
      ObjectNode r = resources.addObject();
      r.put("name", k.plural).put("singularName", k.singular).put("namespaced", k.namespaced).put("kind", k.kind);
      ArrayNode verbs = r.putArray("verbs");
      for (String verb : List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")) {
        verbs.add(verb);
      }
      ArrayNode shorts = r.putArray("shortNames");
      k.shortNames.forEach(shorts::add);
      r.put("storageVersionHash", k.storageVersionHash);
      if (k == ResourceKind.PODS) {
        PodRoutes.addDiscovery(resources);
      }
    }
    return l;
  }
}
