package io.apilb.config;

import java.util.Objects;

/** One kube-apiserver backend ({@code apilb.backends[i]}): a unique name and its host and port. */
public record BackendConfig(String name, String host, int port) {

  public BackendConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** {@code host:port}, with IPv6 literals in brackets. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
