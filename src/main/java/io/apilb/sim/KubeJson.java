package io.apilb.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** JSON helpers: Status, patches, Table conversion. Stateless. */
final class KubeJson {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final JsonNodeFactory F = JsonNodeFactory.instance;

  private KubeJson() {}

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(byte[] body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw ApiException.badRequest("the request body is empty");
      }
      return n;
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("the body of the request was in an unknown format: " + e.getMessage());
    }
  }

  static ObjectNode parseObject(byte[] body) {
    JsonNode n = parse(body);
    if (!(n instanceof ObjectNode o)) {
      throw ApiException.badRequest("the body of the request must be a JSON object");
    }
    return o;
  }

  static ObjectNode status(ApiException e) {
    ObjectNode s = F.objectNode();
    s.put("kind", "Status").put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure").put("message", e.getMessage()).put("reason", e.reason);
    ObjectNode details = s.putObject("details");
    if (e.name != null) {
      details.put("name", e.name);
    }
    if (e.kind != null) {
      details.put("kind", e.kind);
    }
    if (e.code == 429 || e.code == 503) {
      details.put("retryAfterSeconds", 1);
    }
    s.put("code", e.code);
    return s;
  }

  static ObjectNode successStatus(ResourceKind kind, String name, String uid) {
    ObjectNode s = F.objectNode();
    s.put("kind", "Status").put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Success");
    s.putObject("details").put("name", name).put("kind", kind.plural).put("uid", uid);
    return s;
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  static ObjectNode metadata(ObjectNode obj) {
    JsonNode m = obj.get("metadata");
    if (m instanceof ObjectNode o) {
      return o;
    }
    return obj.putObject("metadata");
  }

  // ---- JSON merge patch (RFC 7386); strategic merge patch is treated like it -----------------

  static JsonNode mergePatch(JsonNode target, JsonNode patch, boolean strategic) {
    if (!(patch instanceof ObjectNode p)) {
      return patch.deepCopy();
    }
    ObjectNode result = target instanceof ObjectNode t ? t.deepCopy() : F.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = p.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (strategic && key.startsWith("$")) {
        continue;
      }
      if (e.getValue().isNull()) {
        result.remove(key);
      } else {
        result.set(key, mergePatch(result.get(key), e.getValue(), strategic));
      }
    }
    return result;
  }

  // ---- JSON patch (RFC 6902) -------------------------------------------------------------------

  static JsonNode jsonPatch(JsonNode target, JsonNode patch) {
    if (!(patch instanceof ArrayNode ops)) {
      throw ApiException.badRequest("json patch must be a JSON array of operations");
    }
    JsonNode doc = target.deepCopy();
    for (JsonNode op : ops) {
      String kind = text(op, "op");
      String path = text(op, "path");
      if (kind == null || path == null) {
        throw ApiException.badRequest("json patch operation needs \"op\" and \"path\"");
      }
      switch (kind) {
        case "add" -> doc = add(doc, path, required(op, "value"));
        case "remove" -> doc = remove(doc, path);
        case "replace" -> {
          pointer(doc, path);
          doc = add(remove(doc, path), path, required(op, "value"));
        }
        case "test" -> {
          if (!pointer(doc, path).equals(required(op, "value"))) {
            throw new ApiException(422, "Invalid", "the server rejected our request due to an error in our request"
                + ": testing value " + path + " failed", null, null);
          }
        }
        case "move" -> {
          String from = required(op, "from").asText();
          JsonNode v = pointer(doc, from).deepCopy();
          doc = add(remove(doc, from), path, v);
        }
        case "copy" -> doc = add(doc, path, pointer(doc, required(op, "from").asText()).deepCopy());
        default -> throw ApiException.badRequest("unexpected json patch operation \"" + kind + "\"");
      }
    }
    return doc;
  }

  private static JsonNode required(JsonNode op, String field) {
    JsonNode v = op.get(field);
    if (v == null) {
      throw ApiException.badRequest("json patch operation \"" + text(op, "op") + "\" needs \"" + field + "\"");
    }
    return v;
  }

  private static List<String> tokens(String path) {
    if (path.isEmpty()) {
      return List.of();
    }
    if (!path.startsWith("/")) {
      throw ApiException.badRequest("invalid json pointer " + path);
    }
    List<String> out = new ArrayList<>();
    for (String t : path.substring(1).split("/", -1)) {
      out.add(t.replace("~1", "/").replace("~0", "~"));
    }
    return out;
  }

  private static JsonNode pointer(JsonNode doc, String path) {
    JsonNode cur = doc;
    for (String t : tokens(path)) {
      cur = child(cur, t);
      if (cur == null) {
        throw new ApiException(422, "Invalid", "the server rejected our request: path " + path + " does not exist",
            null, null);
      }
    }
    return cur;
  }

  private static JsonNode child(JsonNode node, String token) {
    if (node instanceof ObjectNode o) {
      return o.get(token);
    }
    if (node instanceof ArrayNode a) {
      try {
        return a.get(Integer.parseInt(token));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static JsonNode add(JsonNode doc, String path, JsonNode value) {
    List<String> t = tokens(path);
    if (t.isEmpty()) {
      return value.deepCopy();
    }
    JsonNode parent = pointer(doc, toPath(t.subList(0, t.size() - 1)));
    String last = t.get(t.size() - 1);
    if (parent instanceof ObjectNode o) {
      o.set(last, value.deepCopy());
    } else if (parent instanceof ArrayNode a) {
      if (last.equals("-")) {
        a.add(value.deepCopy());
      } else {
        int i = index(last, a.size());
        a.insert(i, value.deepCopy());
      }
    } else {
      throw ApiException.badRequest("cannot add at " + path);
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, String path) {
    List<String> t = tokens(path);
    if (t.isEmpty()) {
      throw ApiException.badRequest("cannot remove the whole document");
    }
    pointer(doc, path);
    JsonNode parent = pointer(doc, toPath(t.subList(0, t.size() - 1)));
    String last = t.get(t.size() - 1);
    if (parent instanceof ObjectNode o) {
      o.remove(last);
    } else if (parent instanceof ArrayNode a) {
      a.remove(index(last, a.size() - 1));
    }
    return doc;
  }

  private static int index(String token, int max) {
    try {
      int i = Integer.parseInt(token);
      if (i < 0 || i > max) {
        throw ApiException.badRequest("json patch index out of range: " + token);
      }
      return i;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid json patch array index " + token);
    }
  }

  private static String toPath(List<String> tokens) {
    StringBuilder sb = new StringBuilder();
    for (String t : tokens) {
      sb.append('/').append(t.replace("~", "~0").replace("/", "~1"));
    }
    return sb.toString();
  }

  // ---- Table (meta.k8s.io) ------------------------------------------------------------------------

  static ObjectNode table(ResourceKind kind, List<ObjectNode> objects, String resourceVersion,
      String tableVersion, String includeObject, Instant now) {
    ObjectNode t = F.objectNode();
    t.put("kind", "Table").put("apiVersion", "meta.k8s.io/" + tableVersion);
    ObjectNode meta = t.putObject("metadata");
    if (resourceVersion != null) {
      meta.put("resourceVersion", resourceVersion);
    }
    ArrayNode cols = t.putArray("columnDefinitions");
    column(cols, "Name", "string", "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may "
            + "allow a client to request the generation of an appropriate name automatically. Name is primarily "
            + "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
            + "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");
    if (kind == ResourceKind.CONFIGMAPS) {
      column(cols, "Data", "string", "", "Data contains the configuration data. Each key must consist of "
          + "alphanumeric characters, '-', '_' or '.'.");
    } else {
      column(cols, "Status", "string", "", "The status of the namespace");
    }
    column(cols, "Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this "
        + "object was created. It is not guaranteed to be set in happens-before order across separate operations. "
        + "Clients may not set this value. It is represented in RFC3339 form and is in UTC.");
    ArrayNode rows = t.putArray("rows");
    for (ObjectNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      ObjectNode m = (ObjectNode) o.get("metadata");
      cells.add(text(m, "name"));
      if (kind == ResourceKind.CONFIGMAPS) {
        cells.add(size(o.get("data")) + size(o.get("binaryData")));
      } else {
        cells.add(o.path("status").path("phase").asText("Active"));
      }
      cells.add(age(text(m, "creationTimestamp"), now));
      if ("None".equals(includeObject)) {
        continue;
      }
      if ("Object".equals(includeObject)) {
        row.set("object", withTypeMeta(kind, o));
      } else {
        ObjectNode partial = row.putObject("object");
        partial.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/" + tableVersion);
        partial.set("metadata", m.deepCopy());
      }
    }
    return t;
  }

  private static void column(ArrayNode cols, String name, String type, String format, String description) {
    cols.addObject().put("name", name).put("type", type).put("format", format).put("description", description)
        .put("priority", 0);
  }

  private static int size(JsonNode n) {
    return n == null ? 0 : n.size();
  }

  static ObjectNode withTypeMeta(ResourceKind kind, ObjectNode o) {
    if (o.has("kind") && o.has("apiVersion")) {
      return o;
    }
    ObjectNode out = F.objectNode();
    out.put("kind", kind.kind).put("apiVersion", kind.apiVersion());
    o.fields().forEachRemaining(e -> {
      if (!e.getKey().equals("kind") && !e.getKey().equals("apiVersion")) {
        out.set(e.getKey(), e.getValue());
      }
    });
    return out;
  }

  static ObjectNode withoutTypeMeta(ObjectNode o) {
    ObjectNode out = o.deepCopy();
    out.remove("kind");
    out.remove("apiVersion");
    return out;
  }

  /** Age like kubectl prints it ({@code k8s.io/apimachinery/pkg/util/duration.HumanDuration}). */
  static String age(String timestamp, Instant now) {
    if (timestamp == null) {
      return "<unknown>";
    }
    Duration d;
    try {
      d = Duration.between(Instant.parse(timestamp), now);
    } catch (DateTimeParseException e) {
      return "<unknown>";
    }
    long s = d.getSeconds();
    if (s < -1) {
      return "<invalid>";
    }
    if (s < 0) {
      return "0s";
    }
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    if (m < 10) {
      return s % 60 == 0 ? m + "m" : m + "m" + (s % 60) + "s";
    }
    if (m < 180) {
      return m + "m";
    }
    long h = m / 60;
    if (h < 8) {
      return m % 60 == 0 ? h + "h" : h + "h" + (m % 60) + "m";
    }
    if (h < 48) {
      return h + "h";
    }
    long days = h / 24;
    if (h < 192) {
      return h % 24 == 0 ? days + "d" : days + "d" + (h % 24) + "h";
    }
    if (days < 365 * 2) {
      return days + "d";
    }
    long years = days / 365;
    if (years < 8) {
      return days % 365 == 0 ? years + "y" : years + "y" + (days % 365) + "d";
    }
    return years + "y";
  }
}
