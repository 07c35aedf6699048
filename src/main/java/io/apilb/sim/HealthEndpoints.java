package io.apilb.sim;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A simulated apiserver's {@code /readyz}, {@code /livez} and {@code /healthz}: kube-apiserver's
 * check lists, its plain and {@code ?verbose} bodies, {@code ?exclude=}, single checks at
 * {@code /readyz/NAME}, and the failures a test switches on.
 */
final class HealthEndpoints {
  /** readyz checks, in the order the real server prints them. */
  static final List<String> READYZ_CHECKS = List.of(
      "ping", "log", "etcd", "etcd-readiness", "informer-sync",
      "poststarthook/start-apiserver-admission-initializer",
      "poststarthook/generic-apiserver-start-informers",
      "poststarthook/priority-and-fairness-config-consumer",
      "poststarthook/priority-and-fairness-filter",
      "poststarthook/storage-object-count-tracker-hook",
      "poststarthook/rbac/bootstrap-roles",
      "shutdown");

  /** livez and healthz checks. */
  static final List<String> LIVEZ_CHECKS = READYZ_CHECKS.stream()
      .filter(c -> !Set.of("etcd-readiness", "informer-sync", "shutdown").contains(c)).toList();

  private volatile boolean ready = true;
  private volatile Set<String> failedChecks = Set.of();

  /** {@code false}: the readyz {@code shutdown} check fails; {@code true}: it passes again. */
  void setReady(boolean ready) {
    this.ready = ready;
  }

  /** Makes exactly these checks fail (replacing the previous set); no names: all pass. */
  void failChecks(String... names) {
    this.failedChecks = Set.copyOf(new LinkedHashSet<>(List.of(names)));
  }

  static boolean isHealthPath(String path) {
    for (String p : List.of("/readyz", "/livez", "/healthz")) {
      if (path.equals(p) || path.startsWith(p + "/")) {
        return true;
      }
    }
    return false;
  }

  /** The answer to a health path; {@code shuttingDown} fails the readyz {@code shutdown} check. */
  ApiRoutes.Response respond(QueryStringDecoder q, boolean shuttingDown) {
    String path = q.path();
    String endpoint = path.substring(1, path.indexOf('/', 1) < 0 ? path.length() : path.indexOf('/', 1));
    List<String> checks = endpoint.equals("readyz") ? READYZ_CHECKS : LIVEZ_CHECKS;
    String single = path.length() > endpoint.length() + 2 ? path.substring(endpoint.length() + 2) : null;
    if (single != null) {
      if (!checks.contains(single)) {
        return text(404, "404 page not found\n");
      }
      return failing(single, shuttingDown) ? text(500, "internal server error: " + single + " check failed (simulated)\n")
          : text(200, "ok");
    }
    Set<String> exclude = new LinkedHashSet<>(q.parameters().getOrDefault("exclude", List.of()));
    boolean verbose = q.parameters().containsKey("verbose");
    boolean failed = false;
    StringBuilder sb = new StringBuilder();
    for (String c : checks) {
      if (exclude.remove(c)) {
        sb.append("[+]").append(c).append(" excluded: ok\n");
      } else if (failing(c, shuttingDown)) {
        failed = true;
        sb.append("[-]").append(c).append(" failed: reason withheld\n");
      } else {
        sb.append("[+]").append(c).append(" ok\n");
      }
    }
    if (!exclude.isEmpty()) {
      sb.append("warn: some health checks cannot be excluded: no matches for ")
          .append(String.join(",", exclude.stream().map(e -> "\"" + e + "\"").toList())).append('\n');
    }
    if (failed) {
      sb.append(endpoint).append(" check failed\n");
      return text(500, sb.toString());
    }
    if (verbose) {
      sb.append(endpoint).append(" check passed\n");
      return text(200, sb.toString());
    }
    return text(200, "ok");
  }

  private static ApiRoutes.Response text(int code, String body) {
    return new ApiRoutes.Response(HttpResponseStatus.valueOf(code), "text/plain; charset=utf-8",
        body.getBytes(StandardCharsets.UTF_8), List.of(Map.entry("X-Content-Type-Options", "nosniff")));
  }

  private boolean failing(String check, boolean shuttingDown) {
    return failedChecks.contains(check) || (check.equals("shutdown") && (!ready || shuttingDown));
  }
}
