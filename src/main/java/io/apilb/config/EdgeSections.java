package io.apilb.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the edge options operators know from HAProxy, nginx and Envoy: the TLS policy, SNI
 * certificates, PROXY protocol, TLS passthrough and the admin port's protection. Like
 * {@link ConfigSections}, a reader records every problem and returns {@code null} on any.
 */
final class EdgeSections {
  /** IANA cipher suite names, as JSSE and Netty spell them. */
  private static final Pattern SUITE = Pattern.compile("(TLS|SSL)_[A-Z0-9_]+");
  private static final Set<String> SNI_KEYS = Set.of("server-names", "cert-file", "key-file", "key-passphrase-file");

  private EdgeSections() {}

  /** {@code min-version} and {@code cipher-suites} of {@code section} (listener.tls or backend-tls). */
  static TlsPolicy tlsPolicy(ValueReader r, String section) {
    int before = r.errorCount();
    TlsVersion min = r.required(section + ".min-version", v -> TlsVersion.parse(ValueConversions.text(v)));
    List<String> suites = list(r, section + ".cipher-suites", EdgeSections::cipherSuite);
    if (suites != null && suites.isEmpty()) {
      r.report(section + ".cipher-suites", r.value(section + ".cipher-suites"),
          "must name at least one TLS 1.2 cipher suite (TLS 1.3 suites are always on)");
    }
    return r.errorCount() > before ? null : new TlsPolicy(min, suites, section);
  }

  private static String cipherSuite(ConfigValue v) throws InvalidValue {
    String name = ValueConversions.text(v).trim();
    if (!SUITE.matcher(name).matches()) {
      throw new InvalidValue("must be a cipher suite's IANA name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (got \""
          + name + "\")");
    }
    return name;
  }

  /** {@code apilb.listener.tls.sni}: a list of { server-names, cert-file, key-file } objects. */
  static List<SniCertificate> sni(ValueReader r) {
    String path = "apilb.listener.tls.sni";
    ConfigValue value = r.value(path);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof ConfigList entries)) {
      r.report(path, value, "must be a list of { server-names = [...], cert-file = ..., key-file = ... } objects");
      return null;
    }
    int before = r.errorCount();
    List<SniCertificate> out = new ArrayList<>();
    Map<String, String> firstUse = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      SniCertificate c = sniEntry(r, path + "[" + i + "]", entries.get(i), firstUse);
      if (c != null) {
        out.add(c);
      }
    }
    return r.errorCount() > before ? null : out;
  }

  private static SniCertificate sniEntry(ValueReader r, String path, ConfigValue item, Map<String, String> firstUse) {
    if (!(item instanceof ConfigObject object)) {
      r.report(path, item, "must be an object like { server-names = [\"api.example.com\"], cert-file = \"api.crt\", "
          + "key-file = \"api.key\" }");
      return null;
    }
    int before = r.errorCount();
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      if (!SNI_KEYS.contains(e.getKey())) {
        String hint = KeyChecker.closest(e.getKey(), SNI_KEYS).map(k -> ", did you mean " + path + "." + k + "?")
            .orElse(" (allowed: server-names, cert-file, key-file, key-passphrase-file)");
        r.report(path + "." + e.getKey(), e.getValue(), "unknown key" + hint);
      }
    }
    List<String> names = listOf(r, path + ".server-names", object.get("server-names"), v -> {
      String name = ServerNames.parseName(ValueConversions.text(v));
      String first = firstUse.putIfAbsent(name, path);
      if (first != null) {
        throw new InvalidValue("server name \"" + name + "\" is already used by " + first);
      }
      return name;
    });
    if (names != null && names.isEmpty()) {
      r.report(path + ".server-names", object.get("server-names"), "must name at least one server name");
    }
    Path cert = requiredFile(r, path + ".cert-file", object);
    Path key = requiredFile(r, path + ".key-file", object);
    ConfigValue pass = object.get("key-passphrase-file");
    Optional<Path> passphrase = pass == null || pass.valueType() == ConfigValueType.NULL ? Optional.empty()
        : Optional.ofNullable(r.convert(path + ".key-passphrase-file", pass, v -> r.toFile(v)));
    return r.errorCount() > before ? null
        : new SniCertificate(new ServerNames(names), cert, key, passphrase, path);
  }

  private static Path requiredFile(ValueReader r, String path, ConfigObject object) {
    ConfigValue v = object.get(path.substring(path.lastIndexOf('.') + 1));
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      r.report(path, object, "is required");
      return null;
    }
    return r.convert(path, v, r::toFile);
  }

  static ProxyProtocolConfig proxyProtocol(ValueReader r) {
    String p = "apilb.listener.proxy-protocol";
    int before = r.errorCount();
    ProxyProtocolMode mode = r.oneOf(p + ".mode", ProxyProtocolMode.class);
    List<Cidr> trusted = list(r, p + ".trusted-sources", v -> Cidr.parse(ValueConversions.text(v)));
    Duration timeout = r.duration(p + ".header-timeout", false);
    if (mode != null && mode != ProxyProtocolMode.OFF && trusted != null && trusted.isEmpty()) {
      r.report(p + ".trusted-sources", r.value(p + ".trusted-sources"), "must list the addresses of the L4 balancers "
          + "that send PROXY headers (CIDR blocks such as 10.0.0.0/24) when mode is " + ValueConversions.spelling(mode));
    }
    return r.errorCount() > before ? null : new ProxyProtocolConfig(mode, trusted, timeout);
  }

  /** {@code apilb.passthrough}; a name also given an SNI certificate is an error (passthrough would win). */
  static PassthroughConfig passthrough(ValueReader r, List<SniCertificate> sni) {
    String p = "apilb.passthrough.server-names";
    List<String> names = list(r, p, v -> ServerNames.parseName(ValueConversions.text(v)));
    if (names == null) {
      return null;
    }
    for (SniCertificate c : sni == null ? List.<SniCertificate>of() : sni) {
      for (String n : names) {
        if (c.serverNames().names().contains(n)) {
          r.report(p, r.value(p), "\"" + n + "\" also has a certificate in " + c.configKey()
              + "; a name is either terminated or passed through");
        }
      }
    }
    return new PassthroughConfig(new ServerNames(names));
  }

  /** {@code apilb.admin}: address, port, token file and optional TLS. */
  static AdminConfig admin(ValueReader r) {
    int before = r.errorCount();
    String address = r.string("apilb.admin.address");
    Integer port = r.integer("apilb.admin.port", 0, 65535);
    Optional<Path> token = r.optionalFile("apilb.admin.token-file");
    Optional<Path> cert = r.optionalFile("apilb.admin.tls.cert-file");
    Optional<Path> key = r.optionalFile("apilb.admin.tls.key-file");
    if (cert.isPresent() != key.isPresent()) {
      String missing = cert.isPresent() ? "key-file" : "cert-file";
      String given = cert.isPresent() ? "cert-file" : "key-file";
      r.report("apilb.admin.tls." + missing, r.value("apilb.admin.tls." + given),
          "must be set together with apilb.admin.tls." + given);
    }
    return r.errorCount() > before ? null : new AdminConfig(address, port, token, cert, key);
  }

  /** A list at {@code path}, each element converted (errors name the element's index). */
  private static <T> List<T> list(ValueReader r, String path, ValueReader.Conversion<T> element) {
    return listOf(r, path, r.value(path), element);
  }

  private static <T> List<T> listOf(ValueReader r, String path, ConfigValue value, ValueReader.Conversion<T> element) {
    if (value == null || value.valueType() == ConfigValueType.NULL) {
      return List.of();
    }
    if (!(value instanceof ConfigList items)) {
      r.report(path, value, "must be a list (got " + ValueReader.show(value) + ")");
      return null;
    }
    int before = r.errorCount();
    List<T> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      T t = r.convert(path + "[" + i + "]", items.get(i), element);
      if (t != null) {
        out.add(t);
      }
    }
    return r.errorCount() > before ? null : out;
  }
}
