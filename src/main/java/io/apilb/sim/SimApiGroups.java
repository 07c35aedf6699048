package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.Set;

/** The named API groups the simulator serves (each at v1), for {@code /apis} discovery and routing. */
final class SimApiGroups {
  private SimApiGroups() {}

  static Set<String> groups() {
    Set<String> groups = new LinkedHashSet<>();
    for (ResourceKind k : ResourceKind.values()) {
      if (!k.group.isEmpty()) {
        groups.add(k.group);
      }
    }
    return groups;
  }

  /** The group of an {@code /apis/GROUP/v1...} path the simulator serves, else null. */
  static String groupOf(String path) {
    for (String g : groups()) {
      String base = "/apis/" + g + "/v1";
      if (path.equals(base) || path.startsWith(base + "/")) {
        return g;
      }
    }
    return null;
  }

  /** {@code GET /apis}: an APIGroupList as kube-apiserver writes it. */
  static ObjectNode groupList() {
    ObjectNode list = KubeJson.F.objectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode arr = list.putArray("groups");
    for (String g : groups()) {
      ObjectNode group = arr.addObject().put("name", g);
      group.putArray("versions").addObject().put("groupVersion", g + "/v1").put("version", "v1");
      group.putObject("preferredVersion").put("groupVersion", g + "/v1").put("version", "v1");
    }
    return list;
  }
}
