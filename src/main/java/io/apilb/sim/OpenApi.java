package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A minimal OpenAPI v3 description of core/v1 ConfigMaps and Namespaces: enough for kubectl to
 * see that PATCH supports {@code fieldValidation} (server-side validation) and to build
 * strategic merge patches for {@code kubectl apply}.
 */
final class OpenApi {
  static final String V1_HASH = "5A1B2C3D4E5F60718293A4B5C6D7E8F9";

  private OpenApi() {}

  static ObjectNode root() {
    ObjectNode r = KubeJson.F.objectNode();
    r.putObject("paths").putObject("api/v1").put("serverRelativeURL", "/openapi/v3/api/v1?hash=" + V1_HASH);
    return r;
  }

  static ObjectNode coreV1() {
    ObjectNode doc = KubeJson.F.objectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes").put("version", "v1.33.0");
    ObjectNode paths = doc.putObject("paths");
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    for (ResourceKind k : java.util.List.of(ResourceKind.CONFIGMAPS, ResourceKind.NAMESPACES, ResourceKind.PODS)) {
      String base = k.namespaced ? "/api/v1/namespaces/{namespace}/" + k.plural : "/api/v1/" + k.plural;
      String ref = "#/components/schemas/io.k8s.api.core.v1." + k.kind;
      ObjectNode item = paths.putObject(base + "/{name}");
      item.set("get", operation("read", k, ref, false));
      item.set("put", operation("replace", k, ref, true));
      item.set("patch", operation("patch", k, ref, true));
      item.set("delete", operation("delete", k, ref, false));
      ObjectNode coll = paths.putObject(base);
      coll.set("get", operation("list", k, ref, false));
      coll.set("post", operation("create", k, ref, true));
    }
    schemas.putObject("io.k8s.apimachinery.pkg.apis.meta.v1.Patch").put("type", "object")
        .put("description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.");
    ObjectNode meta = object(schemas.putObject("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    ObjectNode mp = meta.putObject("properties");
    for (String s : new String[] {"name", "generateName", "namespace", "uid", "resourceVersion", "selfLink"}) {
      mp.putObject(s).put("type", "string");
    }
    mp.putObject("creationTimestamp").put("type", "string").put("format", "date-time");
    mp.putObject("generation").put("type", "integer").put("format", "int64");
    stringMap(mp.putObject("labels"));
    stringMap(mp.putObject("annotations"));
    ObjectNode fin = mp.putObject("finalizers").put("type", "array");
    fin.putObject("items").put("type", "string").put("default", "");
    fin.put("x-kubernetes-list-type", "set").put("x-kubernetes-patch-strategy", "merge");
    ObjectNode cm = resource(schemas, ResourceKind.CONFIGMAPS);
    ObjectNode cp = (ObjectNode) cm.get("properties");
    stringMap(cp.putObject("data"));
    cp.putObject("binaryData").put("type", "object").putObject("additionalProperties").put("type", "string")
        .put("format", "byte");
    cp.putObject("immutable").put("type", "boolean");
    ObjectNode pod = resource(schemas, ResourceKind.PODS);
    object(((ObjectNode) pod.get("properties")).putObject("spec"));
    object(((ObjectNode) pod.get("properties")).putObject("status"));
    ObjectNode ns = resource(schemas, ResourceKind.NAMESPACES);
    ObjectNode np = (ObjectNode) ns.get("properties");
    ObjectNode spec = object(np.putObject("spec"));
    ObjectNode sf = spec.putObject("properties").putObject("finalizers").put("type", "array")
        .put("x-kubernetes-list-type", "atomic");
    sf.putObject("items").put("type", "string").put("default", "");
    object(np.putObject("status")).putObject("properties").putObject("phase").put("type", "string");
    return doc;
  }

  private static ObjectNode object(ObjectNode n) {
    return n.put("type", "object");
  }

  private static void stringMap(ObjectNode n) {
    n.put("type", "object").putObject("additionalProperties").put("type", "string").put("default", "");
  }

  private static ObjectNode resource(ObjectNode schemas, ResourceKind k) {
    ObjectNode s = object(schemas.putObject("io.k8s.api.core.v1." + k.kind));
    ObjectNode p = s.putObject("properties");
    p.putObject("apiVersion").put("type", "string");
    p.putObject("kind").put("type", "string");
    ObjectNode metaProp = p.putObject("metadata");
    metaProp.putArray("allOf").addObject().put("$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    metaProp.putObject("default");
    gvk(s.putArray("x-kubernetes-group-version-kind"), k);
    return s;
  }

  private static void gvk(ArrayNode arr, ResourceKind k) {
    arr.addObject().put("group", "").put("kind", k.kind).put("version", "v1");
  }

  private static ObjectNode operation(String verb, ResourceKind k, String ref, boolean withBody) {
    ObjectNode op = KubeJson.F.objectNode();
    String scope = k.namespaced ? "Namespaced" : "";
    op.put("operationId", verb + "CoreV1" + scope + k.kind + (verb.equals("list") ? "" : ""));
    op.putArray("tags").add("core_v1");
    op.put("x-kubernetes-action", verb.equals("read") ? "get" : verb.equals("replace") ? "put" : verb);
    op.putObject("x-kubernetes-group-version-kind").put("group", "").put("version", "v1").put("kind", k.kind);
    ArrayNode params = op.putArray("parameters");
    if (withBody) {
      for (String q : new String[] {"dryRun", "fieldManager", "fieldValidation"}) {
        params.addObject().put("name", q).put("in", "query").putObject("schema").put("type", "string")
            .put("uniqueItems", true);
      }
      ObjectNode content = op.putObject("requestBody").put("required", true).putObject("content");
      if (verb.equals("patch")) {
        for (String ct : new String[] {"application/apply-patch+yaml", "application/json-patch+json",
            "application/merge-patch+json", "application/strategic-merge-patch+json"}) {
          content.putObject(ct).putObject("schema")
              .put("$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
        }
        params.addObject().put("name", "force").put("in", "query").putObject("schema").put("type", "boolean")
            .put("uniqueItems", true);
      } else {
        content.putObject("*/*").putObject("schema").put("$ref", ref);
      }
    }
    ObjectNode ok = op.putObject("responses").putObject("200").put("description", "OK");
    ok.putObject("content").putObject("application/json").putObject("schema").put("$ref", ref);
    return op;
  }
}
