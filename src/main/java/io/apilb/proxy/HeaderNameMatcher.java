package io.apilb.proxy;

import io.netty.util.AsciiString;
import java.util.Collection;

/**
 * A fixed set of header names and name prefixes, matched ignoring case without lower-casing a
 * copy of the name: it runs for every header of every request.
 */
final class HeaderNameMatcher {
  private final AsciiString[] names;
  private final AsciiString[] prefixes;

  private HeaderNameMatcher(AsciiString[] names, AsciiString[] prefixes) {
    this.names = names;
    this.prefixes = prefixes;
  }

  /** Matches exactly these names, and every name starting with one of these prefixes. */
  static HeaderNameMatcher of(Collection<String> names, Collection<String> prefixes) {
    return new HeaderNameMatcher(
        names.stream().distinct().map(AsciiString::cached).toArray(AsciiString[]::new),
        prefixes.stream().distinct().map(AsciiString::cached).toArray(AsciiString[]::new));
  }

  boolean matches(CharSequence name) {
    for (AsciiString n : names) {
      if (n.length() == name.length() && n.contentEqualsIgnoreCase(name)) {
        return true;
      }
    }
    for (AsciiString p : prefixes) {
      if (name.length() >= p.length() && AsciiString.regionMatches(name, true, 0, p, 0, p.length())) {
        return true;
      }
    }
    return false;
  }
}
