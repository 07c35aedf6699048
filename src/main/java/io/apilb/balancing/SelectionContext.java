package io.apilb.balancing;

import java.util.Objects;
import java.util.Set;

/**
 * What a balancer may know about the request it places: its class, and the backends an earlier
 * attempt already tried (a retry must avoid them).
 */
public record SelectionContext(RequestClass requestClass, Set<String> tried) {
  public SelectionContext {
    Objects.requireNonNull(requestClass, "requestClass");
    // a first attempt (the common case) must not copy: one exchange per HTTP/2 stream
    tried = tried.isEmpty() ? Set.of() : Set.copyOf(tried);
  }

  public static SelectionContext first(RequestClass requestClass) {
    return new SelectionContext(requestClass, Set.of());
  }
}
