package io.apilb.metrics;

/** kube-apiserver's request verbs as its metrics spell them, and their latency classes. */
final class ApiVerbs {
  private ApiVerbs() {}

  /** A verb label value apilb exports as is: kube-apiserver's verbs and the HTTP methods. */
  static boolean known(String verb) {
    return switch (verb) {
      case "GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE", "DELETECOLLECTION", "CONNECT",
          "POST", "PUT", "HEAD", "OPTIONS" -> true;
      default -> false;
    };
  }

  /**
   * {@code read} (GET, LIST), {@code write} (CREATE, UPDATE, PATCH, DELETE, DELETECOLLECTION),
   * {@code long_running} (WATCH, CONNECT and other streams: their duration is their lifetime), or
   * {@code other} (non-resource requests such as discovery and /version).
   */
  static String latencyClass(String verb, boolean longRunning) {
    if (longRunning) {
      return "long_running";
    }
    return switch (verb) {
      case "GET", "LIST" -> "read";
      case "CREATE", "UPDATE", "PATCH", "DELETE", "DELETECOLLECTION" -> "write";
      case "WATCH", "CONNECT" -> "long_running";
      default -> "other";
    };
  }
}
