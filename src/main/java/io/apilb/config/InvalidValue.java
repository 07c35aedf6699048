package io.apilb.config;

/**
 * What is wrong with one configuration value ("must be ... (got ...)"), thrown by a
 * {@link ValueReader.Conversion}. {@link ValueReader#convert} turns it into a {@link ConfigError}
 * naming the key and the file that set the value, so conversions never need to know either.
 */
final class InvalidValue extends Exception {
  InvalidValue(String problem) {
    super(problem, null, false, false); // a validation result, not a failure: no stack trace
  }
}
