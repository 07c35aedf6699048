package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The form an object takes in {@link SimulatedCluster}'s store, as kube-apiserver shapes what it
 * writes to etcd: the name (given, or generated from {@code generateName}) checked, the
 * server-owned metadata set by the store, and what a client may not set dropped.
 */
final class StoredObjects {
  private StoredObjects() {}

  /**
   * The name to store an object under: {@code metadata.name}, or {@code metadata.generateName}
   * with a random suffix.
   *
   * @throws ApiException 422 Invalid if neither is set or the name is not an RFC 1123 subdomain
   */
  static String nameFor(ResourceKind kind, ObjectNode meta) {
    String name = KubeJson.text(meta, "name");
    if (name == null || name.isEmpty()) {
      String generate = KubeJson.text(meta, "generateName");
      if (generate == null || generate.isEmpty()) {
        throw ApiException.invalid(kind, "", "metadata.name: Required value: name or generateName is required");
      }
      name = generate + randomSuffix();
    }
    if (!name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || name.length() > 253) {
      throw ApiException.invalid(kind, name, "metadata.name: Invalid value: \"" + name
          + "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
    }
    return name;
  }

  /**
   * {@code body} as stored: kind and apiVersion of {@code kind}, the given identity and version in
   * the metadata, the client's other metadata unless server-owned or empty, and the rest of the
   * body unless null.
   */
  static ObjectNode normalize(ResourceKind kind, ObjectNode body, String name, String ns, String uid,
      long rv, String created) {
    ObjectNode out = KubeJson.F.objectNode();
    out.put("kind", kind.kind).put("apiVersion", kind.apiVersion());
    ObjectNode inMeta = body.get("metadata") instanceof ObjectNode m ? m : KubeJson.F.objectNode();
    ObjectNode meta = out.putObject("metadata");
    meta.put("name", name);
    if (inMeta.hasNonNull("generateName") && !inMeta.get("generateName").asText().isEmpty()) {
      meta.set("generateName", inMeta.get("generateName"));
    }
    if (kind.namespaced) {
      meta.put("namespace", ns);
    }
    meta.put("uid", uid).put("resourceVersion", Long.toString(rv)).put("creationTimestamp", created);
    Iterator<Map.Entry<String, JsonNode>> it = inMeta.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      switch (e.getKey()) {
        case "name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "selfLink",
            "generation", "deletionTimestamp", "managedFields" -> { }
        default -> {
          if (!e.getValue().isNull() && !(e.getValue().isContainerNode() && e.getValue().isEmpty())) {
            meta.set(e.getKey(), e.getValue().deepCopy());
          }
        }
      }
    }
    Iterator<Map.Entry<String, JsonNode>> rest = body.fields();
    while (rest.hasNext()) {
      Map.Entry<String, JsonNode> e = rest.next();
      if (!List.of("kind", "apiVersion", "metadata").contains(e.getKey()) && !e.getValue().isNull()) {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    return out;
  }

  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      sb.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
