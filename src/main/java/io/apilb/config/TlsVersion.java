package io.apilb.config;

import java.util.List;

/** The lowest TLS version a listener or backend connection accepts ({@code min-version}). */
public enum TlsVersion {
  TLS_1_2("TLSv1.2", List.of("TLSv1.3", "TLSv1.2")),
  TLS_1_3("TLSv1.3", List.of("TLSv1.3"));

  private final String spelling;
  private final List<String> enabled;

  TlsVersion(String spelling, List<String> enabled) {
    this.spelling = spelling;
    this.enabled = enabled;
  }

  /** As written in the configuration and in JSSE: {@code TLSv1.2}. */
  public String spelling() {
    return spelling;
  }

  /** The protocol names to enable, newest first. */
  public List<String> enabledProtocols() {
    return enabled;
  }

  static TlsVersion parse(String text) throws InvalidValue {
    String t = text.trim();
    for (TlsVersion v : values()) {
      if (v.spelling.equalsIgnoreCase(t) || v.spelling.substring(4).equals(t)) {
        return v;
      }
    }
    throw new InvalidValue("must be TLSv1.2 or TLSv1.3 (got \"" + text + "\"); older versions are not offered");
  }
}
