package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads typed values out of a resolved {@link Config}, recording a {@link ConfigError} for every
 * problem instead of throwing, so that {@link ConfigLoader} can report all of them at once.
 *
 * <p>Converters return {@code null} after recording an error; callers build records only when no
 * error was recorded for the section.
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
    ConfigValue value = required(path);
    return value == null ? null : nonBlankString(path, value);
  }

  Optional<String> optionalString(String path) {
    ConfigValue value = value(path);
    return value == null ? Optional.empty() : Optional.ofNullable(nonBlankString(path, value));
  }

  Integer integer(String path, long min, long max) {
    ConfigValue value = required(path);
    return value == null ? null : integer(path, value, min, max);
  }

  Integer bytes(String path, long min, long max) {
    ConfigValue value = required(path);
    return value == null ? null : bytes(path, value, min, max);
  }

  Double decimal(String path, double min, double max) {
    ConfigValue value = required(path);
    return value == null ? null : decimal(path, value, min, max);
  }

  /** A duration that must be positive, or also zero when {@code zeroAllowed}. */
  Duration duration(String path, boolean zeroAllowed) {
    ConfigValue value = required(path);
    return value == null ? null : duration(path, value, zeroAllowed);
  }

  /** A required file path, resolved against the directory of the file that set it. */
  Path file(String path) {
    ConfigValue value = required(path);
    return value == null ? null : file(path, value);
  }

  /** An optional file path; empty when unset, or (with an error recorded) when invalid. */
  Optional<Path> optionalFile(String path) {
    ConfigValue value = value(path);
    return value == null ? Optional.empty() : Optional.ofNullable(file(path, value));
  }

  Boolean bool(String path) {
    ConfigValue value = required(path);
    if (value == null) {
      return null;
    }
    if (isScalar(value)) {
      try {
        return value.atKey("v").getBoolean("v");
      } catch (com.typesafe.config.ConfigException e) {
        // reported below
      }
    }
    report(path, value, "must be true or false (got " + show(value) + ")");
    return null;
  }

  /** One of {@code allowed} (case-insensitive); returns the allowed spelling. */
  String oneOf(String path, List<String> allowed) {
    String text = string(path);
    if (text == null) {
      return null;
    }
    for (String a : allowed) {
      if (a.equalsIgnoreCase(text.trim())) {
        return a;
      }
    }
    report(path, value(path), "must be one of " + String.join(", ", allowed) + " (got \"" + text + "\")");
    return null;
  }

  private Path file(String path, ConfigValue value) {
    String text = nonBlankString(path, value);
    if (text == null) {
      return null;
    }
    Path file;
    try {
      file = Path.of(text);
    } catch (InvalidPathException e) {
      report(path, value, "is not a valid file path (" + e.getReason() + "): " + show(value));
      return null;
    }
    if (file.isAbsolute()) {
      return file;
    }
    String definingFile = value.origin().filename();
    Path base = definingFile != null ? Path.of(definingFile).toAbsolutePath().getParent() : baseDir;
    return base == null ? file : base.resolve(file).normalize();
  }

  // ---- converters for a value already in hand (also used for list elements) ----

  String nonBlankString(String path, ConfigValue value) {
    if (!isScalar(value)) {
      report(path, value, "must be a string (got " + show(value) + ")");
      return null;
    }
    String text = value.atKey("v").getString("v");
    if (text.isBlank()) {
      report(path, value, "must not be empty");
      return null;
    }
    return text;
  }

  Integer integer(String path, ConfigValue value, long min, long max) {
    Long number = wholeNumber(value.unwrapped());
    if (number == null) {
      report(path, value, "must be an integer (got " + show(value) + ")");
      return null;
    }
    if (number < min || number > max) {
      report(path, value, range(min, max) + " (got " + number + ")");
      return null;
    }
    return number.intValue();
  }

  Integer bytes(String path, ConfigValue value, long min, long max) {
    Long number = null;
    Object raw = value.unwrapped();
    if (raw instanceof String || wholeNumber(raw) != null) {
      try {
        number = value.atKey("v").getBytes("v");
      } catch (com.typesafe.config.ConfigException e) {
        number = null;
      }
    }
    if (number == null) {
      report(path, value, "must be a size in bytes such as 32768 or 32KiB (got " + show(value) + ")");
      return null;
    }
    if (number < min || number > max) {
      report(path, value, range(min, max) + " bytes (got " + show(value) + ")");
      return null;
    }
    return number.intValue();
  }

  Double decimal(String path, ConfigValue value, double min, double max) {
    Object raw = value.unwrapped();
    Double number = null;
    if (raw instanceof Number n) {
      number = n.doubleValue();
    } else if (raw instanceof String s) {
      try {
        number = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        number = null;
      }
    }
    if (number == null || number.isNaN() || number.isInfinite()) {
      report(path, value, "must be a number (got " + show(value) + ")");
      return null;
    }
    if (number < min || number > max) {
      report(path, value, "must be between " + min + " and " + max + " (got " + show(value) + ")");
      return null;
    }
    return number;
  }

  Duration duration(String path, ConfigValue value, boolean zeroAllowed) {
    Object raw = value.unwrapped();
    Duration duration = null;
    if (raw instanceof Number n) {
      if (n.doubleValue() != 0) {
        report(path, value, "needs a unit, for example 2s or 500ms (got " + show(value) + ")");
        return null;
      }
      duration = Duration.ZERO;
    } else if (raw instanceof String) {
      try {
        duration = value.atKey("v").getDuration("v");
      } catch (com.typesafe.config.ConfigException e) {
        duration = null;
      }
    }
    if (duration == null) {
      report(path, value, "must be a duration such as 2s or 500ms (got " + show(value) + ")");
      return null;
    }
    if (duration.isNegative() || (duration.isZero() && !zeroAllowed)) {
      report(path, value, (zeroAllowed ? "must not be negative" : "must be positive")
          + " (got " + show(value) + ")");
      return null;
    }
    return duration;
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

  private static boolean isScalar(ConfigValue value) {
    ConfigValueType type = value.valueType();
    return type == ConfigValueType.STRING
        || type == ConfigValueType.NUMBER
        || type == ConfigValueType.BOOLEAN;
  }

  private static Long wholeNumber(Object raw) {
    if (raw instanceof Integer || raw instanceof Long) {
      return ((Number) raw).longValue();
    }
    if (raw instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static String range(long min, long max) {
    return max >= Integer.MAX_VALUE ? "must be >= " + min : "must be between " + min + " and " + max;
  }
}
