package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier detection ({@code apilb.outlier-detection.*}): a backend with this many
 * consecutive connect failures or 5xx answers is ejected for a back-off that doubles with each
 * ejection, up to the maximum; then probes must re-admit it.
 *
 * @param consecutiveFailures 0 disables outlier detection
 */
public record OutlierConfig(int consecutiveFailures, Duration baseEjectionTime, Duration maxEjectionTime) {
  public OutlierConfig {
    Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
    Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
  }
}
