package io.apilb.config;

import java.util.Objects;

/**
 * The JSON access log ({@code apilb.access-log.*}).
 *
 * @param mode which requests are logged
 * @param sampleRate fraction of requests logged in {@code sampled} mode (errors are always logged)
 * @param file file to append to; empty means standard output
 */
public record AccessLogConfig(AccessLogMode mode, double sampleRate, String file) {
  public AccessLogConfig {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(file, "file");
  }

  public boolean enabled() {
    return mode != AccessLogMode.OFF;
  }
}
