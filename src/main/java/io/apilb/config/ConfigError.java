package io.apilb.config;

import java.util.Objects;

/**
 * One configuration problem, located as precisely as Typesafe Config allows.
 *
 * @param path the key path, for example {@code apilb.health.rise} or {@code apilb.backends[1].name};
 *     empty when the problem is not about one key (a syntax error, an unreadable file)
 * @param file the file (or origin description) the offending value came from; for a missing key,
 *     the file being loaded
 * @param line 1-based line number, or -1 when unknown (missing keys, values from the environment)
 * @param message what is wrong, phrased to follow the path, for example {@code must be >= 1 (got 0)}
 */
public record ConfigError(String path, String file, int line, String message) {

  public ConfigError {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
  }

  /** Compiler-style rendering: {@code conf/apilb.conf:12: apilb.health.rise: must be >= 1 (got 0)}. */
  public String render() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line);
    }
    sb.append(": ");
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(message).toString();
  }

  @Override
  public String toString() {
    return render();
  }
}
