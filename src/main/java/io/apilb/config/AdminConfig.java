package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Objects;

/** The admin listener ({@code apilb.admin.*}): metrics, status and operator endpoints. */
public record AdminConfig(String address, int port) {
  public AdminConfig {
    Objects.requireNonNull(address, "address");
  }

  /** {@code apilb.admin.address} and {@code .port} as declared in {@code reference.conf}. */
  public static AdminConfig defaults() {
    Config admin = ConfigFactory.parseResources(AdminConfig.class.getClassLoader(), "reference.conf")
        .getConfig("apilb.admin");
    return new AdminConfig(admin.getString("address"), admin.getInt("port"));
  }
}
