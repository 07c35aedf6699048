package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads typed values out of a resolved {@link Config}, recording a {@link ConfigError} for every
 * problem instead of throwing, so that {@link ConfigLoader} can report all of them at once.
 *
 * <p>Every typed read goes through {@link #convert}: a {@link Conversion} from
 * {@link ValueConversions} (or a section's own rule) turns the value into a Java value or throws
 * {@link InvalidValue}, and this class turns that into an error naming the key and the file.
 * Readers return {@code null} after recording an error; callers build records only when no error
 * was recorded for the section.
 */
final class ValueReader {

  private final Config config;
  private final String sourceName;
  private final Path baseDir;
  private final List<ConfigError> errors = new ArrayList<>();
  private final List<String> brokenPaths = new ArrayList<>();
  private int problems;

  /**
   * @param sourceName the file (or description) being loaded, named by errors about missing keys
   * @param baseDir directory that relative paths are resolved against when the value's own file is
   *     unknown; {@code null} leaves such paths relative
   */
  ValueReader(Config config, String sourceName, Path baseDir) {
    this.config = config;
    this.sourceName = sourceName;
    this.baseDir = baseDir;
  }

  List<ConfigError> errors() {
    return List.copyOf(errors);
  }

  /** Problems found so far, including those suppressed below a path already reported as broken. */
  int errorCount() {
    return problems;
  }

  /** Records a problem with {@code path}, located at {@code value}'s origin (or the loaded file). */
  void report(String path, ConfigValue value, String message) {
    problems++;
    for (String broken : brokenPaths) {
      if (path.startsWith(broken + ".") || path.startsWith(broken + "[")) {
        return; // the enclosing object was already reported as having the wrong type
      }
    }
    errors.add(locate(path, value, message));
  }

  /** Records a problem not tied to one key, such as a syntax error. */
  void reportGeneral(ConfigOrigin origin, String message) {
    problems++;
    if (origin == null) {
      errors.add(new ConfigError("", sourceName, -1, message));
    } else {
      errors.add(new ConfigError("", fileOf(origin), lineOf(origin), message));
    }
  }

  /** Suppresses further errors below {@code path}, which has already been reported. */
  void markBroken(String path) {
    brokenPaths.add(path);
  }

  /** True when the value came from a {@code reference.conf} default rather than the operator. */
  static boolean isDefault(ConfigValue value) {
    return value.origin().resource() != null;
  }

  static String show(ConfigValue value) {
    return value.render(ConfigRenderOptions.concise());
  }

  // ---- the one conversion skeleton ----

  /** Turns one configuration value into a Java value, or says what is wrong with it. */
  @FunctionalInterface
  interface Conversion<T> {
    T convert(ConfigValue value) throws InvalidValue;
  }

  /**
   * Converts {@code value}, found at {@code path}. When it does not convert, records a
   * {@link ConfigError} naming the key and the file (and line) that set the value, and returns
   * {@code null}. Every reader below goes through here; list elements call it directly.
   */
  <T> T convert(String path, ConfigValue value, Conversion<T> conversion) {
    try {
      return conversion.convert(value);
    } catch (InvalidValue e) {
      report(path, value, e.getMessage());
      return null;
    }
  }

  /** The value at {@code path}, converted; an error when it is missing. */
  <T> T required(String path, Conversion<T> conversion) {
    ConfigValue value = required(path);
    return value == null ? null : convert(path, value, conversion);
  }

  /** The value at {@code path}, converted; empty when unset, or (with an error recorded) when invalid. */
  <T> Optional<T> optional(String path, Conversion<T> conversion) {
    ConfigValue value = value(path);
    return value == null ? Optional.empty() : Optional.ofNullable(convert(path, value, conversion));
  }

  // ---- by path in the loaded configuration ----

  /** The value at {@code path}, or {@code null} when it is missing or {@code null}. */
  ConfigValue value(String path) {
    return config.hasPath(path) ? config.getValue(path) : null;
  }

  ConfigValue required(String path) {
    ConfigValue value = value(path);
    if (value == null) {
      report(path, null, "is required");
    }
    return value;
  }

  String string(String path) {
    return required(path, ValueConversions::text);
  }

  Optional<String> optionalString(String path) {
    return optional(path, ValueConversions::text);
  }

  Integer integer(String path, long min, long max) {
    return required(path, v -> ValueConversions.integer(v, min, max));
  }

  Integer bytes(String path, long min, long max) {
    return required(path, v -> ValueConversions.bytes(v, min, max));
  }

  Double decimal(String path, double min, double max) {
    return required(path, v -> ValueConversions.decimal(v, min, max));
  }

  /** A duration that must be positive, or also zero when {@code zeroAllowed}. */
  Duration duration(String path, boolean zeroAllowed) {
    return required(path, v -> ValueConversions.duration(v, zeroAllowed));
  }

  /** A required file path, resolved against the directory of the file that set it. */
  Path file(String path) {
    return required(path, v -> ValueConversions.file(v, baseDir));
  }

  /** Converts a value found inside a list or object to a file path, resolved like {@link #file}. */
  Path toFile(ConfigValue value) throws InvalidValue {
    return ValueConversions.file(value, baseDir);
  }

  /** An optional file path; empty when unset, or (with an error recorded) when invalid. */
  Optional<Path> optionalFile(String path) {
    return optional(path, v -> ValueConversions.file(v, baseDir));
  }

  java.util.List<String> stringList(String path) {
    return required(path, ValueConversions::textList);
  }

  Boolean bool(String path) {
    return required(path, ValueConversions::bool);
  }

  /** One of the constants of {@code choices}, spelled as in the configuration (see {@link ValueConversions#oneOf}). */
  <E extends Enum<E>> E oneOf(String path, Class<E> choices) {
    return required(path, v -> ValueConversions.oneOf(v, choices));
  }

  // ---- helpers ----

  private ConfigError locate(String path, ConfigValue value, String message) {
    if (value == null) {
      return new ConfigError(path, sourceName, -1, message);
    }
    return new ConfigError(path, fileOf(value.origin()), lineOf(value.origin()), message);
  }

  private String fileOf(ConfigOrigin origin) {
    return origin.filename() != null ? origin.filename() : sourceName;
  }

  /** Line numbers are meaningful for files and parsed strings, not for defaults or the environment. */
  private static int lineOf(ConfigOrigin origin) {
    boolean operatorText = origin.filename() != null || (origin.resource() == null && origin.url() == null);
    return operatorText ? origin.lineNumber() : -1;
  }
}
