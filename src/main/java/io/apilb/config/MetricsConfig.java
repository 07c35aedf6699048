package io.apilb.config;

/**
 * Request metrics ({@code apilb.metrics.*}).
 *
 * @param maxResources distinct group/resource pairs that get their own label values; resources
 *     beyond it (custom resources, typos, scans) are counted under {@code resource="other"}
 */
public record MetricsConfig(int maxResources) {
  public MetricsConfig {
    if (maxResources < 0) {
      throw new IllegalArgumentException("maxResources must be >= 0");
    }
  }
}
