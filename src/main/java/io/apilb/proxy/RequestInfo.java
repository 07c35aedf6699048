package io.apilb.proxy;

import java.util.Locale;

/**
 * What kube-apiserver's request-info resolver would make of a request, for access logs: verb,
 * API group and version, resource, subresource, namespace and name. Pure.
 *
 * @param verb Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection,
 *     connect), or the lower-case HTTP method for non-resource paths
 */
public record RequestInfo(
    String verb, String apiGroup, String apiVersion, String resource, String subresource, String namespace, String name) {


  public boolean resourceRequest() {
    return !resource.isEmpty();
  }

  public static RequestInfo parse(String method, String uri) {
    // runs for every finished request (metrics): indexes into the split path, no list copies
    String[] seg = RequestClassifier.pathSegments(uri);
    int base = Math.min(1, seg.length); // the empty segment before the leading '/'
    int size = seg.length - base;
    String httpVerb = lowerCaseMethod(method);
    int i;
    String group;
    String version;
    if (size >= 2 && seg[base].equals("api")) {
      group = "";
      version = seg[base + 1];
      i = 2;
    } else if (size >= 3 && seg[base].equals("apis")) {
      group = seg[base + 1];
      version = seg[base + 2];
      i = 3;
    } else {
      return new RequestInfo(httpVerb, "", "", "", "", "", "");
    }
    if (i < size && seg[base + i].equals("watch")) {
      i++; // the legacy watch path; RequestClassifier.isWatch decides below
    }
    String namespace = "";
    if (i + 2 < size && seg[base + i].equals("namespaces")) {
      namespace = seg[base + i + 1];
      i += 2;
    }
    int rest = size - Math.min(i, size);
    if (rest == 0) {
      return new RequestInfo(httpVerb, group, version, "", "", namespace, "");
    }
    String resource = seg[base + i];
    String name = rest > 1 ? seg[base + i + 1] : "";
    String subresource = rest > 2 ? seg[base + i + 2] : "";
    if (namespace.isEmpty() && resource.equals("namespaces") && !name.isEmpty()) {
      namespace = name;
    }
    boolean watch = RequestClassifier.isWatch(RequestClassifier.watchQuery(uri), seg);
    String verb = switch (httpVerb) {
      case "get", "head" -> watch ? "watch" : name.isEmpty() ? "list" : "get";
      case "post" -> "create";
      case "put" -> "update";
      case "patch" -> "patch";
      case "delete" -> name.isEmpty() ? "deletecollection" : "delete";
      default -> httpVerb;
    };
    if (!subresource.isEmpty() && connectVerb(subresource) != null) {
      verb = "connect";
    }
    return new RequestInfo(verb, group, version, resource, subresource, namespace, name);
  }

  /** The method in lower case: a constant for the standard methods, no copy per request. */
  private static String lowerCaseMethod(String method) {
    return switch (method) {
      case "GET" -> "get";
      case "HEAD" -> "head";
      case "POST" -> "post";
      case "PUT" -> "put";
      case "PATCH" -> "patch";
      case "DELETE" -> "delete";
      case "OPTIONS" -> "options";
      default -> method.toLowerCase(Locale.ROOT);
    };
  }

  private static String connectVerb(String subresource) {
    return switch (subresource) {
      case "exec", "attach", "portforward", "proxy" -> "connect";
      default -> null;
    };
  }
}
