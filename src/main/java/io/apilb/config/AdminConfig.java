package io.apilb.config;

import java.util.Objects;

/** The admin listener ({@code apilb.admin.*}): metrics, status and operator endpoints. */
public record AdminConfig(String address, int port) {
  public AdminConfig {
    Objects.requireNonNull(address, "address");
  }
}
