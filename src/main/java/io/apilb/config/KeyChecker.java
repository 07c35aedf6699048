package io.apilb.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Finds keys under {@code apilb} that {@code reference.conf} does not declare, and suggests the
 * known key the operator probably meant. Also reports objects replaced by scalars.
 */
final class KeyChecker {

  private final ConfigObject reference;
  private final List<String> knownPaths = new ArrayList<>();

  /** @param reference the {@code apilb} object of {@code reference.conf}, null values included */
  KeyChecker(ConfigObject reference) {
    this.reference = reference;
    collectPaths(reference, ConfigLoader.ROOT);
  }

  /** Checks {@code actual}, the merged {@code apilb} object. */
  void check(ConfigObject actual, ValueReader reader) {
    check(reference, actual, ConfigLoader.ROOT, reader);
  }

  private void check(ConfigObject ref, ConfigObject actual, String prefix, ValueReader reader) {
    for (Map.Entry<String, ConfigValue> entry : actual.entrySet()) {
      String key = entry.getKey();
      String path = prefix + "." + key;
      ConfigValue known = ref.get(key);
      if (known == null) {
        reader.report(path, entry.getValue(), unknownKeyMessage(key, prefix, ref.keySet()));
      } else if (known.valueType() == ConfigValueType.OBJECT) {
        if (entry.getValue().valueType() == ConfigValueType.OBJECT) {
          check((ConfigObject) known, (ConfigObject) entry.getValue(), path, reader);
        } else {
          reader.report(path, entry.getValue(),
              "must be an object (got " + ValueReader.show(entry.getValue()) + ")");
          reader.markBroken(path);
        }
      }
    }
  }

  private String unknownKeyMessage(String key, String prefix, Collection<String> siblings) {
    String message = "unknown key";
    Optional<String> sibling = closest(key, siblings);
    if (sibling.isPresent()) {
      return message + ", did you mean " + prefix + "." + sibling.get() + "?";
    }
    String normalized = normalize(key);
    for (String known : knownPaths) {
      if (normalize(known.substring(known.lastIndexOf('.') + 1)).equals(normalized)) {
        return message + ", did you mean " + known + "?";
      }
    }
    return message;
  }

  private void collectPaths(ConfigObject object, String prefix) {
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      String path = prefix + "." + entry.getKey();
      knownPaths.add(path);
      if (entry.getValue() instanceof ConfigObject child) {
        collectPaths(child, path);
      }
    }
  }

  /**
   * The candidate nearest to {@code key}, ignoring case, hyphens and underscores, when it is close
   * enough to be a plausible typo (about one edit per three characters, at most three).
   */
  static Optional<String> closest(String key, Collection<String> candidates) {
    String normalized = normalize(key);
    int limit = Math.max(1, Math.min(3, normalized.length() / 3));
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int distance = editDistance(normalized, normalize(candidate));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return bestDistance <= limit ? Optional.of(best) : Optional.empty();
  }

  private static String normalize(String key) {
    return key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
  }

  /** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
