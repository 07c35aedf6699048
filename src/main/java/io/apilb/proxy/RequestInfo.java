package io.apilb.proxy;

import java.util.List;
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
    String[] all = RequestClassifier.pathSegments(uri);
    List<String> seg = List.of(all).subList(Math.min(1, all.length), all.length);
    String httpVerb = method.toLowerCase(Locale.ROOT);
    int i;
    String group;
    String version;
    if (seg.size() >= 2 && seg.get(0).equals("api")) {
      group = "";
      version = seg.get(1);
      i = 2;
    } else if (seg.size() >= 3 && seg.get(0).equals("apis")) {
      group = seg.get(1);
      version = seg.get(2);
      i = 3;
    } else {
      return new RequestInfo(httpVerb, "", "", "", "", "", "");
    }
    if (i < seg.size() && seg.get(i).equals("watch")) {
      i++; // the legacy watch path; RequestClassifier.isWatch decides below
    }
    String namespace = "";
    if (i + 1 < seg.size() && seg.get(i).equals("namespaces") && i + 2 < seg.size()) {
      namespace = seg.get(i + 1);
      i += 2;
    }
    List<String> rest = seg.subList(Math.min(i, seg.size()), seg.size());
    if (rest.isEmpty()) {
      return new RequestInfo(httpVerb, group, version, "", "", namespace, "");
    }
    String resource = rest.get(0);
    String name = rest.size() > 1 ? rest.get(1) : "";
    String subresource = rest.size() > 2 ? rest.get(2) : "";
    if (namespace.isEmpty() && resource.equals("namespaces") && !name.isEmpty()) {
      namespace = name;
    }
    boolean watch = RequestClassifier.isWatch(RequestClassifier.watchQuery(uri), all);
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

  private static String connectVerb(String subresource) {
    return switch (subresource) {
      case "exec", "attach", "portforward", "proxy" -> "connect";
      default -> null;
    };
  }
}
