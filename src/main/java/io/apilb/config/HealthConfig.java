package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Active probing ({@code apilb.health.*}).
 *
 * @param path probe path, {@code /readyz} by default ({@code ?verbose} is added by the probe)
 * @param rise consecutive successes before a backend enters rotation
 * @param fall consecutive failures before a backend leaves rotation
 * @param jitter fraction of the interval added or removed at random, 0 to 0.5
 */
public record HealthConfig(
    String path, Duration interval, Duration timeout, int rise, int fall, double jitter) {

  public HealthConfig {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    if (rise < 1 || fall < 1) {
      throw new IllegalArgumentException("rise and fall must be >= 1");
    }
  }
}
