package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Objects;

/**
 * Which TLS versions and TLS 1.2 cipher suites a side of apilb accepts ({@code min-version},
 * {@code cipher-suites} under {@code apilb.listener.tls} and {@code apilb.backend-tls}). TLS 1.3
 * suites are not configurable (BoringSSL fixes them) and are always enabled with TLS 1.3.
 *
 * @param cipherSuites TLS 1.2 suites by their IANA names, in order of preference; whether the
 *     TLS provider knows them is checked when the TLS material is loaded
 * @param configKey the key of the section, for messages ({@code apilb.listener.tls})
 */
public record TlsPolicy(TlsVersion minVersion, List<String> cipherSuites, String configKey) {
  public TlsPolicy {
    Objects.requireNonNull(minVersion, "minVersion");
    cipherSuites = List.copyOf(cipherSuites);
    Objects.requireNonNull(configKey, "configKey");
  }

  /** The policy {@code reference.conf} declares for {@code sectionKey} (listener.tls or backend-tls). */
  static TlsPolicy defaults(String sectionKey) {
    Config section = ConfigFactory.parseResources(TlsPolicy.class.getClassLoader(), "reference.conf")
        .getConfig(sectionKey);
    try {
      return new TlsPolicy(TlsVersion.parse(section.getString("min-version")),
          section.getStringList("cipher-suites"), sectionKey);
    } catch (InvalidValue e) {
      throw new IllegalStateException("reference.conf: " + sectionKey + ".min-version " + e.getMessage(), e);
    }
  }
}
