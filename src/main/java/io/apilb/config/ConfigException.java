package io.apilb.config;

import java.util.List;

/**
 * The configuration is invalid. Carries every problem found, not just the first, so an operator can
 * fix them all in one edit.
 */
public final class ConfigException extends Exception {

  private final List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(message(errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every problem found, in the order the loader found them. Never empty. */
  public List<ConfigError> errors() {
    return errors;
  }

  private static String message(List<ConfigError> errors) {
    StringBuilder sb = new StringBuilder("invalid configuration (")
        .append(errors.size())
        .append(errors.size() == 1 ? " error):" : " errors):");
    for (ConfigError error : errors) {
      sb.append("\n  ").append(error.render());
    }
    return sb.toString();
  }
}
