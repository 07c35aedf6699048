package io.apilb.config;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The conversions of one configuration value to a Java value, each a
 * {@link ValueReader.Conversion}: they return the value or throw {@link InvalidValue} saying what
 * is wrong, in words an operator can act on. Pure functions of the value (and of the directory
 * relative files resolve against).
 */
final class ValueConversions {
  private ValueConversions() {}

  /** A string that is not blank; numbers and booleans are taken as written. */
  static String text(ConfigValue value) throws InvalidValue {
    if (!isScalar(value)) {
      throw new InvalidValue("must be a string (got " + ValueReader.show(value) + ")");
    }
    String text = value.atKey("v").getString("v");
    if (text.isBlank()) {
      throw new InvalidValue("must not be empty");
    }
    return text;
  }

  /** A list of non-blank strings (possibly empty). */
  static java.util.List<String> textList(ConfigValue value) throws InvalidValue {
    if (!(value instanceof com.typesafe.config.ConfigList list)) {
      throw new InvalidValue("must be a list of strings (got " + ValueReader.show(value) + ")");
    }
    java.util.List<String> out = new java.util.ArrayList<>();
    for (ConfigValue element : list) {
      out.add(text(element));
    }
    return java.util.List.copyOf(out);
  }

  /**
   * A file path, resolved against the directory of the file that set it, or against
   * {@code baseDir} when that file is unknown ({@code null} leaves it relative).
   */
  static Path file(ConfigValue value, Path baseDir) throws InvalidValue {
    Path file;
    try {
      file = Path.of(text(value));
    } catch (InvalidPathException e) {
      throw new InvalidValue("is not a valid file path (" + e.getReason() + "): " + ValueReader.show(value));
    }
    if (file.isAbsolute()) {
      return file;
    }
    String definingFile = value.origin().filename();
    Path base = definingFile != null ? Path.of(definingFile).toAbsolutePath().getParent() : baseDir;
    return base == null ? file : base.resolve(file).normalize();
  }

  static Boolean bool(ConfigValue value) throws InvalidValue {
    if (isScalar(value)) {
      try {
        return value.atKey("v").getBoolean("v");
      } catch (com.typesafe.config.ConfigException e) {
        // reported below
      }
    }
    throw new InvalidValue("must be true or false (got " + ValueReader.show(value) + ")");
  }

  /**
   * One of the constants of {@code choices}. The configuration spells a constant in lower case
   * with '-' for '_' ({@code LEAST_IN_FLIGHT} is {@code least-in-flight}); matching ignores case
   * and surrounding blanks. The error lists the choices in declaration order.
   */
  static <E extends Enum<E>> E oneOf(ConfigValue value, Class<E> choices) throws InvalidValue {
    String text = text(value);
    E[] constants = choices.getEnumConstants();
    for (E choice : constants) {
      if (spelling(choice).equalsIgnoreCase(text.trim())) {
        return choice;
      }
    }
    List<String> allowed = Arrays.stream(constants).map(ValueConversions::spelling).toList();
    throw new InvalidValue("must be one of " + String.join(", ", allowed) + " (got \"" + text + "\")");
  }

  /** How the configuration spells {@code choice}. */
  static String spelling(Enum<?> choice) {
    return choice.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static Integer integer(ConfigValue value, long min, long max) throws InvalidValue {
    Long number = wholeNumber(value.unwrapped());
    if (number == null) {
      throw new InvalidValue("must be an integer (got " + ValueReader.show(value) + ")");
    }
    if (number < min || number > max) {
      throw new InvalidValue(range(min, max) + " (got " + number + ")");
    }
    return number.intValue();
  }

  /** A size such as {@code 32768} or {@code 32KiB}. */
  static Integer bytes(ConfigValue value, long min, long max) throws InvalidValue {
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
      throw new InvalidValue("must be a size in bytes such as 32768 or 32KiB (got " + ValueReader.show(value) + ")");
    }
    if (number < min || number > max) {
      throw new InvalidValue(range(min, max) + " bytes (got " + ValueReader.show(value) + ")");
    }
    return number.intValue();
  }

  static Double decimal(ConfigValue value, double min, double max) throws InvalidValue {
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
      throw new InvalidValue("must be a number (got " + ValueReader.show(value) + ")");
    }
    if (number < min || number > max) {
      throw new InvalidValue("must be between " + min + " and " + max + " (got " + ValueReader.show(value) + ")");
    }
    return number;
  }

  /** A duration with a unit; a bare 0 is accepted as zero. Positive, or also zero when {@code zeroAllowed}. */
  static Duration duration(ConfigValue value, boolean zeroAllowed) throws InvalidValue {
    Object raw = value.unwrapped();
    Duration duration = null;
    if (raw instanceof Number n) {
      if (n.doubleValue() != 0) {
        throw new InvalidValue("needs a unit, for example 2s or 500ms (got " + ValueReader.show(value) + ")");
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
      throw new InvalidValue("must be a duration such as 2s or 500ms (got " + ValueReader.show(value) + ")");
    }
    if (duration.isNegative() || (duration.isZero() && !zeroAllowed)) {
      throw new InvalidValue((zeroAllowed ? "must not be negative" : "must be positive")
          + " (got " + ValueReader.show(value) + ")");
    }
    return duration;
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
