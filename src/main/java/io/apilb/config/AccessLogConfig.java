package io.apilb.config;

import java.util.Objects;

/**
 * The JSON access log ({@code apilb.access-log.*}).
 *
 * @param mode {@code off}, {@code on} or {@code sampled}
 * @param sampleRate fraction of requests logged in {@code sampled} mode (errors are always logged)
 * @param file file to append to; empty means standard output
 */
public record AccessLogConfig(String mode, double sampleRate, String file) {
  public static final String OFF = "off";
  public static final String ON = "on";
  public static final String SAMPLED = "sampled";

  public AccessLogConfig {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(file, "file");
  }


  public boolean enabled() {
    return !mode.equals(OFF);
  }
}
