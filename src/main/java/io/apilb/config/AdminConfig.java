package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The admin listener ({@code apilb.admin.*}): metrics, status and operator endpoints.
 *
 * @param tokenFile file holding the bearer token that mutating endpoints (and, when set, every
 *     endpoint but {@code /livez} and {@code /readyz}) require
 * @param certFile serving certificate when the admin port speaks HTTPS; set together with
 *     {@code keyFile}
 */
public record AdminConfig(String address, int port, Optional<Path> tokenFile, Optional<Path> certFile,
    Optional<Path> keyFile) {
  public AdminConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
  }

  /** Plain HTTP without a token. */
  public AdminConfig(String address, int port) {
    this(address, port, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Whether the admin port speaks HTTPS. */
  public boolean tls() {
    return certFile.isPresent();
  }

  /** {@code apilb.admin.address} and {@code .port} as declared in {@code reference.conf}. */
  public static AdminConfig defaults() {
    Config admin = ConfigFactory.parseResources(AdminConfig.class.getClassLoader(), "reference.conf")
        .getConfig("apilb.admin");
    return new AdminConfig(admin.getString("address"), admin.getInt("port"));
  }
}
