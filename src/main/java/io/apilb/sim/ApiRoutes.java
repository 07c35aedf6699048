package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/** Maps API requests onto the cluster store. Runs on an event loop; never blocks. */
final class ApiRoutes {
  static final String JSON = "application/json";

  /** A complete (non-streaming) response. */
  record Response(HttpResponseStatus status, String contentType, byte[] body, List<Map.Entry<String, String>> headers) {
    static Response json(int code, JsonNode body) {
      return new Response(HttpResponseStatus.valueOf(code), JSON, KubeJson.bytes(body), List.of());
    }
  }

  /**
   * A watch to start. {@code fromRv < 0}: send the current objects as ADDED first. {@code protobuf}:
   * Accept preferred protobuf (never for Table watches, which are JSON only).
   */
  record WatchSpec(ResourceKind kind, String namespace, Predicate<ObjectNode> filter, long fromRv,
      String tableVersion, String includeObject, long timeoutMillis, boolean bookmarks, boolean initialEventsEnd,
      boolean protobuf) {}

  private final SimulatedApiserver server;
  private final SimulatedCluster cluster;

  ApiRoutes(SimulatedApiserver server) {
    this.server = server;
    this.cluster = server.cluster();
  }

  static Response error(ApiException e) {
    List<Map.Entry<String, String>> headers = e.code == 429 || e.code == 503
        ? List.of(Map.entry("Retry-After", "1")) : List.of();
    return new Response(HttpResponseStatus.valueOf(e.code), JSON, KubeJson.bytes(KubeJson.status(e)), headers);
  }

  /** Returns a {@link Response}, a {@link WatchSpec} or a {@link PodStream} (pod subresources). */
  Object route(String method, QueryStringDecoder q, HttpHeaders headers, byte[] body) {
    String path = q.path();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    switch (path) {
      case "/version" -> {
        requireGet(method);
        return Response.json(200, DiscoveryDocuments.version(server.gitVersion()));
      }
      case "/api" -> {
        requireGet(method);
        ObjectNode v = KubeJson.F.objectNode().put("kind", "APIVersions");
        v.putArray("versions").add("v1");
        v.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0")
            .put("serverAddress", server.bindAddress() + ":" + server.port());
        return Response.json(200, v);
      }
      case "/apis" -> {
        requireGet(method);
        return Response.json(200, SimApiGroups.groupList());
      }
      case "/openapi/v3" -> {
        requireGet(method);
        return Response.json(200, OpenApi.root());
      }
      case "/openapi/v3/api/v1" -> {
        requireGet(method);
        return Response.json(200, OpenApi.coreV1());
      }
      case "/api/v1" -> {
        requireGet(method);
        return Response.json(200, DiscoveryDocuments.resourceList(""));
      }
      default -> {
        if (path.startsWith("/api/v1/")) {
          return resource(method, "", path.substring("/api/v1/".length()), q, headers, body);
        }
        String group = SimApiGroups.groupOf(path);
        if (group != null) {
          String base = "/apis/" + group + "/v1";
          if (path.equals(base)) {
            requireGet(method);
            return Response.json(200, DiscoveryDocuments.resourceList(group));
          }
          if (path.startsWith(base + "/")) {
            return resource(method, group, path.substring(base.length() + 1), q, headers, body);
          }
        }
        throw ApiException.pathNotFound();
      }
    }
  }

  private static void requireGet(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw ApiException.methodNotAllowed();
    }
  }

  // ---- resources ----------------------------------------------------------------------------------

  private Object resource(String method, String group, String rest, QueryStringDecoder q, HttpHeaders headers,
      byte[] body) {
    List<String> seg = new ArrayList<>(Arrays.asList(rest.split("/", -1)));
    boolean watchPath = false;
    if (!seg.isEmpty() && seg.get(0).equals("watch")) {
      watchPath = true;
      seg.remove(0);
    }
    if (seg.stream().anyMatch(String::isEmpty)) {
      throw ApiException.pathNotFound();
    }
    ResourceKind kind;
    String ns = null;
    String name = null;
    if (!watchPath && group.isEmpty() && seg.size() == 5 && seg.get(0).equals("namespaces")
        && seg.get(2).equals("pods")) {
      return PodRoutes.subresource(server, method, seg.get(1), seg.get(3), seg.get(4), q, headers);
    }
    if (seg.size() >= 3 && seg.get(0).equals("namespaces")) {
      kind = ResourceKind.byPlural(group, seg.get(2));
      if (kind == null || !kind.namespaced || seg.size() > 4) {
        throw ApiException.pathNotFound();
      }
      ns = seg.get(1);
      name = seg.size() == 4 ? seg.get(3) : null;
    } else if (seg.size() == 1 || seg.size() == 2) {
      kind = ResourceKind.byPlural(group, seg.get(0));
      if (kind == null || (kind.namespaced && seg.size() == 2)) {
        throw ApiException.pathNotFound();
      }
      name = seg.size() == 2 ? seg.get(1) : null;
    } else {
      throw ApiException.pathNotFound();
    }
    String watchParam = param(q, "watch");
    boolean watch = watchPath || (watchParam != null && !watchParam.equals("false") && !watchParam.equals("0"));
    if (watch) {
      if (!method.equals("GET")) {
        throw ApiException.methodNotAllowed();
      }
      return watchSpec(kind, ns, name, q, headers);
    }
    if (name == null) {
      return switch (method) {
        case "GET", "HEAD" -> list(kind, ns, q, headers);
        case "POST" -> {
          if (kind.namespaced && ns == null) {
            throw ApiException.methodNotAllowed();
          }
          yield create(kind, ns, headers, body, q);
        }
        case "DELETE" -> deleteCollection(kind, ns, q);
        default -> throw ApiException.methodNotAllowed();
      };
    }
    final String n = name;
    final String namespace = ns;
    return switch (method) {
      case "GET", "HEAD" -> get(kind, ns, name, q, headers);
      case "PUT" -> {
        rejectDryRun(q);
        ObjectNode desired = checkKind(kind, decodeBody(kind, headers, body));
        yield Response.json(200, cluster.update(kind, ns, name, cur -> desired));
      }
      case "PATCH" -> patch(kind, namespace, n, headers, body, q);
      case "DELETE" -> {
        rejectDryRun(q);
        String uid = null;
        String rv = null;
        if (body.length > 0) {
          JsonNode opts = KubeJson.parse(body);
          uid = KubeJson.text(opts.path("preconditions"), "uid");
          rv = KubeJson.text(opts.path("preconditions"), "resourceVersion");
        }
        ObjectNode gone = cluster.delete(kind, ns, name, uid, rv);
        yield Response.json(200, KubeJson.successStatus(kind, name, KubeJson.text(gone.get("metadata"), "uid")));
      }
      default -> throw ApiException.methodNotAllowed();
    };
  }

  static String param(QueryStringDecoder q, String name) {
    List<String> v = q.parameters().get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private static void rejectDryRun(QueryStringDecoder q) {
    if (param(q, "dryRun") != null) {
      throw ApiException.badRequest("dryRun is not supported by the simulated apiserver");
    }
  }

  private static ObjectNode checkKind(ResourceKind kind, ObjectNode body) {
    String k = KubeJson.text(body, "kind");
    if (k != null && !k.isEmpty() && !k.equals(kind.kind)) {
      throw ApiException.badRequest("the API version in the data (" + KubeJson.text(body, "apiVersion")
          + ") does not match the expected API version (" + kind.apiVersion() + ") or kind " + k + " is not " + kind.kind);
    }
    return body;
  }

  /** The Table media type version asked for in Accept ({@code v1} or {@code v1beta1}), or null. */
  static String tableVersion(HttpHeaders headers) {
    String accept = headers.get(HttpHeaderNames.ACCEPT);
    if (accept == null) {
      return null;
    }
    for (String range : accept.split(",")) {
      String r = range.replace(" ", "");
      if (r.startsWith("application/json;") && r.contains(";as=Table") && r.contains(";g=meta.k8s.io")) {
        if (r.contains(";v=v1beta1")) {
          return "v1beta1";
        }
        if (r.contains(";v=v1")) {
          return "v1";
        }
      }
    }
    return null;
  }

  private static String includeObject(QueryStringDecoder q) {
    String v = param(q, "includeObject");
    return v == null ? "Metadata" : v;
  }

  private Response list(ResourceKind kind, String ns, QueryStringDecoder q, HttpHeaders headers) {
    Predicate<ObjectNode> filter = Selectors.parse(param(q, "labelSelector"), param(q, "fieldSelector"));
    SimulatedCluster.ListResult r = cluster.listWithVersion(kind, ns);
    List<ObjectNode> items = r.items().stream().filter(filter).toList();
    String rv = Long.toString(r.resourceVersion());
    String table = tableVersion(headers);
    if (table != null) {
      return Response.json(200, KubeJson.table(kind, items, rv, table, includeObject(q), Instant.now()));
    }
    ObjectNode list = KubeJson.F.objectNode().put("kind", kind.kind + "List").put("apiVersion", kind.apiVersion());
    list.putObject("metadata").put("resourceVersion", rv);
    ArrayNode arr = list.putArray("items");
    items.forEach(o -> arr.add(KubeJson.withoutTypeMeta(o)));
    return Response.json(200, list);
  }

  private Response get(ResourceKind kind, String ns, String name, QueryStringDecoder q, HttpHeaders headers) {
    ObjectNode o = cluster.get(kind, ns, name).orElseThrow(() -> ApiException.notFound(kind, name));
    String table = tableVersion(headers);
    if (table != null) {
      return Response.json(200, KubeJson.table(kind, List.of(o), null, table, includeObject(q), Instant.now()));
    }
    return Response.json(200, o);
  }

  private static ObjectNode decodeBody(ResourceKind kind, HttpHeaders headers, byte[] body) {
    if (KubeProtobuf.isProtobuf(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
      return KubeProtobuf.decode(kind, body);
    }
    return KubeJson.parseObject(body);
  }

  private Response create(ResourceKind kind, String ns, HttpHeaders headers, byte[] body, QueryStringDecoder q) {
    rejectDryRun(q);
    return Response.json(201, cluster.create(kind, ns, checkKind(kind, decodeBody(kind, headers, body))));
  }

  private Response deleteCollection(ResourceKind kind, String ns, QueryStringDecoder q) {
    rejectDryRun(q);
    Predicate<ObjectNode> filter = Selectors.parse(param(q, "labelSelector"), param(q, "fieldSelector"));
    ObjectNode list = KubeJson.F.objectNode().put("kind", kind.kind + "List").put("apiVersion", kind.apiVersion());
    ObjectNode meta = list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (ObjectNode o : cluster.list(kind, ns)) {
      if (filter.test(o)) {
        JsonNode m = o.get("metadata");
        try {
          items.add(KubeJson.withoutTypeMeta(
              cluster.delete(kind, KubeJson.text(m, "namespace"), KubeJson.text(m, "name"), null, null)));
        } catch (ApiException e) {
          // deleted concurrently
        }
      }
    }
    meta.put("resourceVersion", Long.toString(cluster.resourceVersion()));
    return Response.json(200, list);
  }

  private Response patch(ResourceKind kind, String ns, String name, HttpHeaders headers, byte[] body,
      QueryStringDecoder q) {
    rejectDryRun(q);
    String ct = headers.get(HttpHeaderNames.CONTENT_TYPE, "");
    int semi = ct.indexOf(';');
    String type = (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    JsonNode patch = KubeJson.parse(body);
    return switch (type) {
      case "application/merge-patch+json", "application/strategic-merge-patch+json" -> {
        boolean strategic = type.startsWith("application/strategic");
        if (!(patch instanceof ObjectNode)) {
          throw ApiException.badRequest("merge patch must be a JSON object");
        }
        yield Response.json(200, cluster.update(kind, ns, name,
            cur -> (ObjectNode) KubeJson.mergePatch(cur, patch, strategic)));
      }
      case "application/json-patch+json" -> Response.json(200, cluster.update(kind, ns, name, cur -> {
        JsonNode out = KubeJson.jsonPatch(cur, patch);
        if (!(out instanceof ObjectNode o)) {
          throw ApiException.badRequest("json patch result is not an object");
        }
        return o;
      }));
      case "application/apply-patch+yaml" -> {
        // Crude server-side apply: create, or merge the applied configuration into the live object.
        if (!(patch instanceof ObjectNode applied)) {
          throw ApiException.badRequest("apply patch must be an object");
        }
        checkKind(kind, applied);
        if (cluster.get(kind, ns, name).isEmpty()) {
          ObjectNode create = applied.deepCopy();
          KubeJson.metadata(create).put("name", name);
          try {
            yield Response.json(201, cluster.create(kind, ns, create));
          } catch (ApiException e) {
            if (!"AlreadyExists".equals(e.reason)) {
              throw e;
            }
          }
        }
        ObjectNode merge = applied.deepCopy();
        KubeJson.metadata(merge).remove("resourceVersion");
        yield Response.json(200, cluster.update(kind, ns, name,
            cur -> (ObjectNode) KubeJson.mergePatch(cur, merge, false)));
      }
      default -> throw new ApiException(415, "UnsupportedMediaType", "the body of the request was in an unknown "
          + "format - accepted media types include: application/json-patch+json, application/merge-patch+json, "
          + "application/apply-patch+yaml, application/strategic-merge-patch+json", null, null);
    };
  }

  private WatchSpec watchSpec(ResourceKind kind, String ns, String name, QueryStringDecoder q, HttpHeaders headers) {
    String fieldSelector = param(q, "fieldSelector");
    if (name != null) {
      fieldSelector = (fieldSelector == null || fieldSelector.isEmpty() ? "" : fieldSelector + ",")
          + "metadata.name=" + name;
    }
    Predicate<ObjectNode> filter = Selectors.parse(param(q, "labelSelector"), fieldSelector);
    if (ns != null) {
      String namespace = ns;
      filter = filter.and(o -> namespace.equals(o.path("metadata").path("namespace").asText()));
    }
    String rv = param(q, "resourceVersion");
    boolean sendInitial = "true".equals(param(q, "sendInitialEvents"));
    long fromRv;
    if (sendInitial || rv == null || rv.isEmpty() || rv.equals("0")) {
      fromRv = -1;
    } else {
      try {
        fromRv = Long.parseLong(rv);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid resource version: " + rv);
      }
    }
    long timeoutMillis;
    String ts = param(q, "timeoutSeconds");
    if (ts != null) {
      try {
        timeoutMillis = Long.parseLong(ts) * 1000L;
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid timeoutSeconds: " + ts);
      }
    } else {
      timeoutMillis = (1800 + ThreadLocalRandom.current().nextLong(1800)) * 1000L;
    }
    String table = tableVersion(headers);
    boolean bookmarks = "true".equals(param(q, "allowWatchBookmarks")) && table == null;
    boolean protobuf = table == null && KubeProtobufEncoder.prefersProtobuf(headers.get(HttpHeaderNames.ACCEPT));
    return new WatchSpec(kind, ns, filter, fromRv, table, includeObject(q), timeoutMillis, bookmarks,
        sendInitial && table == null, protobuf);
  }
}
