package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Loads the operator's HOCON file, falls back to {@code reference.conf} for every default, validates
 * everything and maps it into immutable records. Every problem is collected and reported together
 * in one {@link ConfigException}. This is the only place that sees a Typesafe {@code Config}.
 *
 * <p>File paths in the configuration are resolved against the directory of the file that sets them;
 * the loader does not check that they exist (TLS loading reports missing files).
 */
public final class ConfigLoader {

  static final String ROOT = "apilb";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Set<String> BACKEND_KEYS = Set.of("name", "address", "weight");
  /** An HTTP header name (RFC 9110 token). */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private ConfigLoader() {}

  /** Loads and validates {@code file}, resolving includes and {@code ${?ENV}} substitutions. */
  public static ApilbConfig load(Path file) throws ConfigException {
    String name = file.toString();
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ConfigException(List.of(new ConfigError("", name, -1, "cannot read configuration file")));
    }
    ConfigParseOptions options = ConfigParseOptions.defaults().setAllowMissing(false);
    Path dir = file.toAbsolutePath().getParent();
    return fromParsed(() -> ConfigFactory.parseFile(file.toFile(), options), name, dir, Optional.of(file));
  }

  /**
   * Parses and validates HOCON text. {@code originDescription} names the text in errors. Relative
   * file paths stay relative.
   */
  public static ApilbConfig parse(String hoconText, String originDescription) throws ConfigException {
    ConfigParseOptions options = ConfigParseOptions.defaults().setOriginDescription(originDescription);
    return fromParsed(
        () -> ConfigFactory.parseString(hoconText, options), originDescription, null, Optional.empty());
  }

  private interface Parser {
    Config parse();
  }

  private static ApilbConfig fromParsed(Parser parser, String name, Path dir, Optional<Path> source)
      throws ConfigException {
    Config merged;
    Config own;
    try {
      own = parser.parse();
      merged = own.withFallback(ConfigFactory.defaultReference()).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      ValueReader reader = new ValueReader(ConfigFactory.empty(), name, dir);
      reader.reportGeneral(e.origin(), withoutOrigin(e));
      throw new ConfigException(reader.errors());
    }
    ValueReader reader = new ValueReader(merged, name, dir);
    checkTopLevelKeys(own, reader);
    ApilbConfig config = map(merged, reader, source);
    if (reader.errorCount() > 0) {
      throw new ConfigException(reader.errors());
    }
    return config;
  }

  private static ApilbConfig map(Config merged, ValueReader reader, Optional<Path> source) {
    ConfigValue root = merged.root().get(ROOT);
    if (!(root instanceof ConfigObject rootObject)) {
      reader.report(ROOT, root, "must be an object (got " + ValueReader.show(root) + ")");
      return null;
    }
    new KeyChecker(referenceRoot()).check(rootObject, reader);
    Path pkiDir = reader.file("apilb.pki-dir");
    Duration reloadInterval = reader.duration("apilb.certificate-reload-interval", true);
    ListenerConfig listener = listener(reader, pkiDir);
    List<BackendConfig> backends = backends(reader);
    BackendTlsConfig backendTls = backendTls(reader, pkiDir);
    HealthConfig health = health(reader);
    AdminConfig admin = admin(reader);
    ProxyConfig proxy = proxy(reader);
    BalancingConfig balancing = balancing(reader);
    OutlierConfig outlier = outlier(reader);
    ShutdownConfig shutdown = shutdown(reader);
    AccessLogConfig accessLog = accessLog(reader);
    IdentityConfig identity = identity(reader);
    if (reader.errorCount() > 0) {
      return null;
    }
    return new ApilbConfig(source, listener, backends, backendTls, health, admin, proxy,
        balancing, outlier, shutdown, accessLog, identity, pkiDir, reloadInterval);
  }

  private static BalancingConfig balancing(ValueReader r) {
    int before = r.errorCount();
    String shortRequests = oneOf(r, "apilb.balancing.short-requests",
        List.of(BalancingConfig.LEAST_IN_FLIGHT, BalancingConfig.ROUND_ROBIN));
    String longRunning = oneOf(r, "apilb.balancing.long-running",
        List.of(BalancingConfig.LEAST_LONG_RUNNING, BalancingConfig.ROUND_ROBIN));
    Duration slowStart = r.duration("apilb.balancing.slow-start", true);
    Double panic = r.decimal("apilb.balancing.panic-threshold", 0.0, 1.0);
    Boolean rebalance = r.bool("apilb.balancing.rebalance.enabled");
    Double maxShare = r.decimal("apilb.balancing.rebalance.max-share", 0.0, 1.0);
    Integer perSecond = r.integer("apilb.balancing.rebalance.per-second", 1, 10_000);
    return r.errorCount() > before ? null
        : new BalancingConfig(shortRequests, longRunning, slowStart, panic, rebalance, maxShare, perSecond);
  }

  private static OutlierConfig outlier(ValueReader r) {
    int before = r.errorCount();
    Integer failures = r.integer("apilb.outlier-detection.consecutive-failures", 0, 1_000_000);
    Duration base = r.duration("apilb.outlier-detection.base-ejection-time", false);
    Duration max = r.duration("apilb.outlier-detection.max-ejection-time", false);
    if (base != null && max != null && max.compareTo(base) < 0) {
      r.report("apilb.outlier-detection.max-ejection-time", r.value("apilb.outlier-detection.max-ejection-time"),
          "must be at least apilb.outlier-detection.base-ejection-time (" + human(base) + ")");
    }
    return r.errorCount() > before ? null : new OutlierConfig(failures, base, max);
  }

  private static ShutdownConfig shutdown(ValueReader r) {
    int before = r.errorCount();
    Duration delay = r.duration("apilb.shutdown.delay", true);
    Duration drain = r.duration("apilb.shutdown.drain-timeout", true);
    return r.errorCount() > before ? null : new ShutdownConfig(delay, drain);
  }

  private static AccessLogConfig accessLog(ValueReader r) {
    int before = r.errorCount();
    String mode = oneOf(r, "apilb.access-log.mode",
        List.of(AccessLogConfig.OFF, AccessLogConfig.ON, AccessLogConfig.SAMPLED));
    Double rate = r.decimal("apilb.access-log.sample-rate", 0.0, 1.0);
    String file = r.optionalString("apilb.access-log.file").orElse("");
    return r.errorCount() > before ? null : new AccessLogConfig(mode, rate, file);
  }

  /** A string that must be one of {@code allowed}; reports the choices otherwise. */
  private static String oneOf(ValueReader r, String path, List<String> allowed) {
    String v = r.string(path);
    if (v != null && !allowed.contains(v)) {
      r.report(path, r.value(path), "must be one of " + String.join(", ", allowed) + " (got \"" + v + "\")");
      return null;
    }
    return v;
  }

  private static ListenerConfig listener(ValueReader r, Path pkiDir) {
    int before = r.errorCount();
    String address = r.string("apilb.listener.address");
    Integer port = r.integer("apilb.listener.port", 0, 65535);
    Path cert = r.file("apilb.listener.tls.cert-file");
    Path key = r.file("apilb.listener.tls.key-file");
    Optional<Path> passphrase = r.optionalFile("apilb.listener.tls.key-passphrase-file");
    Integer streams = r.integer("apilb.listener.max-concurrent-streams", 100, Integer.MAX_VALUE);
    String mode = r.oneOf("apilb.listener.tls.client-auth", List.of("auto", "optional", "none"));
    Optional<Path> clientCa = r.optionalFile("apilb.listener.tls.client-ca-file");
    if (r.errorCount() > before || pkiDir == null) {
      return null;
    }
    ClientAuthMode clientAuth = ClientAuthMode.valueOf(mode.toUpperCase(Locale.ROOT));
    if (clientAuth == ClientAuthMode.AUTO && clientCa.isPresent()) {
      clientAuth = ClientAuthMode.OPTIONAL; // an explicit CA means the operator wants client certificates
    }
    return new ListenerConfig(address, port, cert, key, streams, clientAuth,
        clientCa.orElse(pkiDir.resolve("ca.crt")), passphrase);
  }

  private static BackendTlsConfig backendTls(ValueReader r, Path pkiDir) {
    int before = r.errorCount();
    Optional<Path> ca = r.optionalFile("apilb.backend-tls.ca-file");
    Optional<String> serverName = r.optionalString("apilb.backend-tls.server-name");
    Optional<Path> proxyCert = r.optionalFile("apilb.backend-tls.proxy-client-cert-file");
    Optional<Path> proxyKey = r.optionalFile("apilb.backend-tls.proxy-client-key-file");
    Optional<Path> passphrase = r.optionalFile("apilb.backend-tls.proxy-client-key-passphrase-file");
    if (proxyCert.isPresent() != proxyKey.isPresent()) {
      String missing = proxyCert.isPresent() ? "proxy-client-key-file" : "proxy-client-cert-file";
      String given = proxyCert.isPresent() ? "proxy-client-cert-file" : "proxy-client-key-file";
      r.report("apilb.backend-tls." + missing, r.value("apilb.backend-tls." + given),
          "must be set together with apilb.backend-tls." + given);
    }
    if (r.errorCount() > before || pkiDir == null) {
      return null;
    }
    return new BackendTlsConfig(ca.orElse(pkiDir.resolve("ca.crt")), serverName,
        proxyCert.orElse(pkiDir.resolve("front-proxy-client.crt")),
        proxyKey.orElse(pkiDir.resolve("front-proxy-client.key")), passphrase);
  }

  private static IdentityConfig identity(ValueReader r) {
    int before = r.errorCount();
    String user = headerName(r, "apilb.identity.user-header");
    String group = headerName(r, "apilb.identity.group-header");
    String uid = headerName(r, "apilb.identity.uid-header");
    String extra = headerName(r, "apilb.identity.extra-header-prefix");
    Boolean sendUid = r.bool("apilb.identity.send-uid");
    Boolean sendCredentialId = r.bool("apilb.identity.send-credential-id");
    return r.errorCount() > before
        ? null
        : new IdentityConfig(user, group, uid, extra, sendUid, sendCredentialId);
  }

  private static String headerName(ValueReader r, String path) {
    String name = r.string(path);
    if (name != null && !HEADER_NAME.matcher(name).matches()) {
      r.report(path, r.value(path), "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-; got \""
          + name + "\")");
      return null;
    }
    return name;
  }

  private static HealthConfig health(ValueReader r) {
    int before = r.errorCount();
    String path = r.string("apilb.health.path");
    if (path != null && !path.startsWith("/")) {
      r.report("apilb.health.path", r.value("apilb.health.path"), "must start with '/' (got \"" + path + "\")");
    }
    Duration interval = r.duration("apilb.health.interval", false);
    Duration timeout = r.duration("apilb.health.timeout", false);
    Integer rise = r.integer("apilb.health.rise", 1, Integer.MAX_VALUE);
    Integer fall = r.integer("apilb.health.fall", 1, Integer.MAX_VALUE);
    Double jitter = r.decimal("apilb.health.jitter", 0.0, 0.5);
    if (interval != null && timeout != null && timeout.compareTo(interval) >= 0) {
      reportTimeoutNotBelowInterval(r, interval, timeout);
    }
    return r.errorCount() > before
        ? null
        : new HealthConfig(path, interval, timeout, rise, fall, jitter);
  }

  /** Blames whichever of the two the operator set, preferring the timeout. */
  private static void reportTimeoutNotBelowInterval(ValueReader r, Duration interval, Duration timeout) {
    ConfigValue timeoutValue = r.value("apilb.health.timeout");
    ConfigValue intervalValue = r.value("apilb.health.interval");
    if (ValueReader.isDefault(timeoutValue) && !ValueReader.isDefault(intervalValue)) {
      r.report("apilb.health.interval", intervalValue,
          "must be greater than apilb.health.timeout (" + human(timeout) + "), got "
              + ValueReader.show(intervalValue));
    } else {
      r.report("apilb.health.timeout", timeoutValue,
          "must be less than apilb.health.interval (" + human(interval) + "), got "
              + ValueReader.show(timeoutValue));
    }
  }

  private static AdminConfig admin(ValueReader r) {
    int before = r.errorCount();
    String address = r.string("apilb.admin.address");
    Integer port = r.integer("apilb.admin.port", 0, 65535);
    return r.errorCount() > before ? null : new AdminConfig(address, port);
  }

  private static ProxyConfig proxy(ValueReader r) {
    int before = r.errorCount();
    Duration connect = r.duration("apilb.proxy.connect-timeout", false);
    Duration request = r.duration("apilb.proxy.request-timeout", true);
    Integer initialLine = r.bytes("apilb.proxy.max-initial-line-length", 1, Integer.MAX_VALUE);
    Integer headerSize = r.bytes("apilb.proxy.max-header-size", 1, Integer.MAX_VALUE);
    Duration idle = r.duration("apilb.proxy.backend-idle-timeout", false);
    Integer maxIdle = r.integer("apilb.proxy.max-idle-per-backend", 0, Integer.MAX_VALUE);
    Integer retryBuffer = r.bytes("apilb.proxy.retry-buffer-bytes", 0, Integer.MAX_VALUE);
    Duration deadBackend = r.duration("apilb.proxy.dead-backend-detection", true);
    Duration tunnelIdle = r.duration("apilb.proxy.tunnel-idle-timeout", true);
    return r.errorCount() > before
        ? null
        : new ProxyConfig(connect, request, initialLine, headerSize, idle, maxIdle, retryBuffer, deadBackend, tunnelIdle);
  }

  private static List<BackendConfig> backends(ValueReader r) {
    String path = "apilb.backends";
    ConfigValue value = r.required(path);
    if (value == null) {
      return List.of();
    }
    if (value.valueType() != ConfigValueType.LIST) {
      r.report(path, value, "must be a list of { name = ..., address = ... } objects (got "
          + ValueReader.show(value) + ")");
      return List.of();
    }
    ConfigList list = (ConfigList) value;
    if (list.isEmpty()) {
      r.report(path, value, "needs at least one backend");
      return List.of();
    }
    List<BackendConfig> backends = new ArrayList<>();
    Map<String, String> firstUseOfName = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      BackendConfig backend = backend(r, path + "[" + i + "]", list.get(i), firstUseOfName);
      if (backend != null) {
        backends.add(backend);
      }
    }
    return backends;
  }

  private static BackendConfig backend(
      ValueReader r, String path, ConfigValue item, Map<String, String> firstUseOfName) {
    if (!(item instanceof ConfigObject object)) {
      r.report(path, item, "must be an object like { name = \"cp1\", address = \"10.0.0.11:6443\" } (got "
          + ValueReader.show(item) + ")");
      return null;
    }
    int before = r.errorCount();
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      if (!BACKEND_KEYS.contains(entry.getKey())) {
        String hint = KeyChecker.closest(entry.getKey(), BACKEND_KEYS)
            .map(k -> ", did you mean " + path + "." + k + "?")
            .orElse(" (allowed: name, address, weight)");
        r.report(path + "." + entry.getKey(), entry.getValue(), "unknown key" + hint);
      }
    }
    String name = backendName(r, path, object, firstUseOfName);
    HostPort address = backendAddress(r, path, object);
    Integer weight = BackendConfig.DEFAULT_WEIGHT;
    ConfigValue weightValue = present(object, "weight");
    if (weightValue != null) {
      weight = r.integer(path + ".weight", weightValue, 1, Integer.MAX_VALUE);
    }
    return r.errorCount() > before
        ? null
        : new BackendConfig(name, address.host(), address.port(), weight);
  }

  private static String backendName(
      ValueReader r, String path, ConfigObject object, Map<String, String> firstUseOfName) {
    ConfigValue value = present(object, "name");
    if (value == null) {
      r.report(path + ".name", object, "is required");
      return null;
    }
    String name = r.nonBlankString(path + ".name", value);
    if (name == null) {
      return null;
    }
    if (name.length() > 63 || !DNS_LABEL.matcher(name).matches()) {
      r.report(path + ".name", value, "must be a DNS label (lower-case letters, digits and '-', "
          + "starting and ending with a letter or digit, at most 63 characters; got \"" + name + "\")");
      return null;
    }
    String first = firstUseOfName.putIfAbsent(name, path);
    if (first != null) {
      r.report(path + ".name", value, "duplicate backend name \"" + name + "\" (also used by " + first + ")");
      return null;
    }
    return name;
  }

  private static HostPort backendAddress(ValueReader r, String path, ConfigObject object) {
    ConfigValue value = present(object, "address");
    if (value == null) {
      r.report(path + ".address", object, "is required");
      return null;
    }
    String text = r.nonBlankString(path + ".address", value);
    if (text == null) {
      return null;
    }
    try {
      return HostPort.parse(text.trim());
    } catch (IllegalArgumentException e) {
      r.report(path + ".address", value, e.getMessage() + " (got \"" + text + "\")");
      return null;
    }
  }

  private static ConfigValue present(ConfigObject object, String key) {
    ConfigValue value = object.get(key);
    return value == null || value.valueType() == ConfigValueType.NULL ? null : value;
  }

  /** Flags top-level keys in the operator's own file that look like a misspelt {@code apilb}. */
  private static void checkTopLevelKeys(Config own, ValueReader r) {
    for (Map.Entry<String, ConfigValue> entry : own.root().entrySet()) {
      String key = entry.getKey();
      if (!key.equals(ROOT) && KeyChecker.closest(key, List.of(ROOT)).isPresent()) {
        r.report(key, entry.getValue(), "unknown key, did you mean " + ROOT + "?");
      }
    }
  }

  /** The {@code apilb} object of {@code reference.conf}, keeping keys whose value is null. */
  private static ConfigObject referenceRoot() {
    Config reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
    return (ConfigObject) reference.root().get(ROOT);
  }

  private static String withoutOrigin(com.typesafe.config.ConfigException e) {
    String message = e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (message.startsWith(prefix)) {
        return message.substring(prefix.length());
      }
    }
    return message;
  }

  private static String human(Duration duration) {
    return duration.toString().substring(2).toLowerCase(Locale.ROOT);
  }
}
