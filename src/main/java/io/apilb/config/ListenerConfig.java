package io.apilb.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The client-facing TLS listener ({@code apilb.listener.*}).
 *
 * @param maxConcurrentStreams advertised SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2 clients (>= 100)
 */
public record ListenerConfig(
    String address, int port, Path certFile, Path keyFile, int maxConcurrentStreams) {

  public ListenerConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
