package io.apilb.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A list of TLS server names as a client sends them in SNI: exact names, or {@code *.example.com}
 * for any one label in front of {@code example.com} (as certificates match). Case does not matter.
 */
public record ServerNames(List<String> names) {
  private static final Pattern NAME = Pattern.compile(
      "(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  public static final ServerNames NONE = new ServerNames(List.of());

  public ServerNames {
    names = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
  }

  public boolean isEmpty() {
    return names.isEmpty();
  }

  /** Whether {@code serverName} (from a ClientHello; may be null) is one of these names. */
  public boolean matches(String serverName) {
    if (serverName == null || serverName.isEmpty()) {
      return false;
    }
    String name = serverName.toLowerCase(Locale.ROOT);
    for (String n : names) {
      if (n.equals(name)) {
        return true;
      }
      if (n.startsWith("*.")) {
        int dot = name.indexOf('.');
        if (dot > 0 && name.substring(dot + 1).equals(n.substring(2))) {
          return true;
        }
      }
    }
    return false;
  }

  /** One configured name: a DNS name, optionally with a leading {@code *.} label. */
  static String parseName(String text) throws InvalidValue {
    String name = text.trim().toLowerCase(Locale.ROOT);
    if (name.length() > 253 || !NAME.matcher(name).matches()) {
      throw new InvalidValue("must be a DNS name such as api.example.com or *.example.com (got \"" + text + "\")");
    }
    return name;
  }
}
