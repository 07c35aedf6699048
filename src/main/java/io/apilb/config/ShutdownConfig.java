package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Graceful shutdown on SIGTERM ({@code apilb.shutdown.*}).
 *
 * @param delay how long the listener keeps accepting after the admin /readyz turned red, so an
 *     outer balancer or DNS can move clients away first
 * @param drainTimeout deadline for in-flight requests after the delay; watches and tunnels still
 *     open then are ended cleanly
 */
public record ShutdownConfig(Duration delay, Duration drainTimeout) {
  public ShutdownConfig {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
  }
}
