package io.apilb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads the operator's HOCON file, falls back to {@code reference.conf} for every default, validates
 * everything and maps it into immutable records. Every problem is collected and reported together
 * in one {@link ConfigException}. Sections are read by {@link ConfigSections} and
 * {@link BackendListReader}; nothing outside this package sees a Typesafe {@code Config}.
 *
 * <p>File paths in the configuration are resolved against the directory of the file that sets them;
 * the loader does not check that they exist (TLS loading reports missing files).
 */
public final class ConfigLoader {

  static final String ROOT = "apilb";

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
   * As {@link #load(Path)}, with {@code overridesHocon} (HOCON text, e.g. {@code apilb.admin.port = 0})
   * taking precedence over the file. Relative paths in the file still resolve against its directory.
   */
  public static ApilbConfig load(Path file, String overridesHocon) throws ConfigException {
    String name = file.toString();
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ConfigException(List.of(new ConfigError("", name, -1, "cannot read configuration file")));
    }
    ConfigParseOptions options = ConfigParseOptions.defaults().setAllowMissing(false);
    Path dir = file.toAbsolutePath().getParent();
    return fromParsed(() -> ConfigFactory.parseString(overridesHocon,
            ConfigParseOptions.defaults().setOriginDescription("overrides"))
        .withFallback(ConfigFactory.parseFile(file.toFile(), options)), name, dir, Optional.of(file));
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
    ListenerConfig listener = ConfigSections.listener(reader, pkiDir);
    List<BackendConfig> backends = BackendListReader.read(reader);
    BackendTlsConfig backendTls = ConfigSections.backendTls(reader, pkiDir);
    HealthConfig health = ConfigSections.health(reader);
    AdminConfig admin = EdgeSections.admin(reader);
    ProxyConfig proxy = ConfigSections.proxy(reader);
    BalancingConfig balancing = ConfigSections.balancing(reader);
    OutlierConfig outlier = ConfigSections.outlier(reader);
    ShutdownConfig shutdown = ConfigSections.shutdown(reader);
    AccessLogConfig accessLog = ConfigSections.accessLog(reader);
    IdentityConfig identity = ConfigSections.identity(reader);
    ControlPlaneConfig controlPlane = ConfigSections.controlPlane(reader);
    MetricsConfig metrics = ConfigSections.metrics(reader);
    PassthroughConfig passthrough = EdgeSections.passthrough(reader, listener == null ? null : listener.sni());
    if (reader.errorCount() > 0) {
      return null;
    }
    return new ApilbConfig(source, listener, backends, backendTls, health, admin, proxy,
        balancing, outlier, shutdown, accessLog, identity, controlPlane, metrics, pkiDir, reloadInterval,
        passthrough);
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
}
