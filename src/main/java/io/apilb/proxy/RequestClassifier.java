package io.apilb.proxy;

import io.apilb.balancing.RequestClass;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Locale;

/**
 * Classifies requests like kube-apiserver's long-running check: {@code watch} (query or legacy
 * {@code /watch/} path), the {@code exec}, {@code attach}, {@code portforward}, {@code proxy}
 * subresources, {@code log} with {@code follow=true}; any {@code Connection: upgrade} request is
 * an upgrade. Pure and allocation-light: it runs per request on event loops.
 */
public final class RequestClassifier {
  private RequestClassifier() {}

  public static RequestClass classify(String uri, HttpHeaders headers) {
    if (isUpgrade(headers)) {
      return RequestClass.UPGRADE;
    }
    if (plainlyShort(uri)) {
      return RequestClass.SHORT;
    }
    QueryStringDecoder q = new QueryStringDecoder(uri);
    String path = q.path();
    String[] seg = path.split("/");
    if (isWatch(q, seg)) {
      return RequestClass.LONG_RUNNING;
    }
    String sub = subresource(seg);
    if (sub != null) {
      switch (sub) {
        case "exec", "attach", "portforward", "proxy" -> {
          return RequestClass.LONG_RUNNING;
        }
        case "log" -> {
          if (truthy(q.parameters().get("follow"))) {
            return RequestClass.LONG_RUNNING;
          }
        }
        default -> { }
      }
    }
    if (path.startsWith("/debug/pprof/")) {
      return RequestClass.LONG_RUNNING;
    }
    return RequestClass.SHORT;
  }

  /** Words at least one of which every long-running request's URI contains. */
  private static final String[] LONG_RUNNING_WORDS = {"watch", "exec", "attach", "portforward", "proxy", "log", "pprof"};

  /**
   * Most requests are short, and their URI names none of the long-running words: they need no
   * query parsing or path split (this runs per request). A URI with a percent escape may hide a
   * word, so it always takes the full rule.
   */
  static boolean plainlyShort(String uri) {
    if (uri.indexOf('%') >= 0) {
      return false;
    }
    for (String w : LONG_RUNNING_WORDS) {
      if (uri.contains(w)) {
        return false;
      }
    }
    return true;
  }

  /** A watch (not a followed log or a proxy stream): the kind of stream the rebalancer may move. */
  public static boolean isWatch(String uri) {
    return isWatch(watchQuery(uri), pathSegments(uri));
  }

  static boolean isWatch(QueryStringDecoder q, String[] seg) {
    return isWatch(truthy(q.parameters().get("watch")), seg);
  }

  /**
   * The apiserver's rule: a {@code watch} query value other than false or 0 ({@code watchQuery}),
   * or the legacy {@code /api/v1/watch/...} and {@code /apis/G/V/watch/...} paths ({@code seg} is
   * the path split on '/').
   */
  static boolean isWatch(boolean watchQuery, String[] seg) {
    if (watchQuery) {
      return true;
    }
    for (int i = 3; i < seg.length && i < 5; i++) {
      if (seg[i].equals("watch") && (seg[1].equals("api") || seg[1].equals("apis"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the query's {@code watch} is truthy. Decoding the query is skipped when no
   * {@code watch} can be in it, which is most requests (this runs for every request's metrics).
   */
  static boolean watchQuery(String uri) {
    int q = uri.indexOf('?');
    return q >= 0 && uri.indexOf("watch", q) >= 0 && truthy(new QueryStringDecoder(uri).parameters().get("watch"));
  }

  /**
   * The path split on '/' as {@code path.split("/")} would (a leading empty segment, no trailing
   * empty ones), percent-decoded as the apiserver reads it; without a regex or a decoder for the
   * plain paths that nearly every request has.
   */
  static String[] pathSegments(String uri) {
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    if (path.indexOf('%') >= 0) {
      path = new QueryStringDecoder(uri).path();
    }
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--; // split drops trailing empty segments
    }
    if (end == 0) {
      return path.isEmpty() ? new String[] {""} : new String[0];
    }
    int n = 1;
    for (int i = 0; i < end; i++) {
      if (path.charAt(i) == '/') {
        n++;
      }
    }
    String[] seg = new String[n];
    int from = 0;
    for (int k = 0; k < n - 1; k++) {
      int slash = path.indexOf('/', from);
      seg[k] = path.substring(from, slash);
      from = slash + 1;
    }
    seg[n - 1] = path.substring(from, end);
    return seg;
  }

  /** The server's rule: "upgrade" anywhere in a Connection value. */
  public static boolean isUpgrade(HttpHeaders headers) {
    for (String v : headers.getAll(HttpHeaderNames.CONNECTION)) {
      if (v.toLowerCase(Locale.ROOT).contains("upgrade")) {
        return true;
      }
    }
    return false;
  }

  /** A query flag that is present and neither "false" nor "0". */
  static boolean truthy(List<String> values) {
    if (values == null || values.isEmpty()) {
      return false;
    }
    String v = values.get(0);
    return !(v.equals("false") || v.equals("0"));
  }

  /**
   * Subresource of a resource path: /api/v1/namespaces/NS/RES/NAME/SUB,
   * /api/v1/RES/NAME/SUB, and the /apis/GROUP/VERSION/... forms.
   */
  static String subresource(String[] seg) {
    int base;
    if (seg.length > 1 && seg[1].equals("api")) {
      base = 3; // "", api, v1
    } else if (seg.length > 1 && seg[1].equals("apis")) {
      base = 4; // "", apis, group, version
    } else {
      return null;
    }
    int rest = seg.length - base;
    if (rest >= 1 && seg[base].equals("namespaces")) {
      // namespaces/NS/RES/NAME/SUB or namespaces/NAME/SUB (namespace subresources)
      if (rest == 3) {
        return seg[base + 2];
      }
      if (rest >= 5) {
        return seg[base + 4];
      }
      return null;
    }
    return rest >= 3 ? seg[base + 2] : null;
  }
}
