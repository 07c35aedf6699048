package io.apilb.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS towards the backends ({@code apilb.backend-tls.*}).
 *
 * @param caFile CA bundle that signed the apiservers' serving certificates
 * @param serverName name to verify (and send as SNI) instead of each backend's address
 */
public record BackendTlsConfig(Path caFile, Optional<String> serverName) {
  public BackendTlsConfig {
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(serverName, "serverName");
  }
}
