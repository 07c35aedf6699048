package io.apilb.backend;

import io.apilb.config.BackendConfig;
import java.util.Objects;
import java.util.Optional;

/**
 * One kube-apiserver instance, immutable identity only. Its changing health lives in
 * {@link BackendState} and its live counters in {@link BackendStats}.
 *
 * @param weight relative share of traffic, >= 1
 * @param serverName name verified in the backend's certificate (and sent as SNI) instead of
 *     {@code host}; empty means verify {@code host} itself (an IP SAN for IP literals)
 */
public record Backend(String name, String host, int port, Optional<String> serverName, int weight) {

  public Backend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(serverName, "serverName");
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1: " + weight);
    }
  }

  /** A backend of weight 1. */
  public Backend(String name, String host, int port, Optional<String> serverName) {
    this(name, host, port, serverName, 1);
  }

  public static Backend of(BackendConfig config, Optional<String> serverName) {
    return new Backend(config.name(), config.host(), config.port(), serverName, config.weight());
  }

  /** The name the TLS client verifies and sends as SNI. */
  public String verifiedName() {
    return serverName.orElse(host);
  }

  public String address() {
    return BackendConfig.address(host, port);
  }
}
