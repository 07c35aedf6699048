package io.apilb.config;

import java.util.Objects;

/**
 * One kube-apiserver backend ({@code apilb.backends[i]}): a unique name, its host and port, and a
 * relative weight.
 *
 * @param weight relative weight for weight-aware balancers, >= 1 ({@link #DEFAULT_WEIGHT} when the
 *     configuration leaves it out)
 */
public record BackendConfig(String name, String host, int port, int weight) {

  /** Weight of a backend whose configuration entry has no {@code weight}. */
  public static final int DEFAULT_WEIGHT = 1;

  public BackendConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1: " + weight);
    }
  }

  /** A backend with {@link #DEFAULT_WEIGHT}. */
  public BackendConfig(String name, String host, int port) {
    this(name, host, port, DEFAULT_WEIGHT);
  }

  /** {@code host:port}, with IPv6 literals in brackets. */
  public String address() {
    return address(host, port);
  }

  /** {@code host:port}, with IPv6 literals in brackets. */
  public static String address(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
