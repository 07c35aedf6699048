package io.apilb.config;

import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads each section of {@code apilb} into its record. A section with any error yields
 * {@code null}; {@link ConfigLoader} then reports every error together.
 */
final class ConfigSections {
  /** An HTTP header name (RFC 9110 token). */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private ConfigSections() {}

  static BalancingConfig balancing(ValueReader r) {
    int before = r.errorCount();
    ShortRequestStrategy shortRequests = r.oneOf("apilb.balancing.short-requests", ShortRequestStrategy.class);
    LongRunningStrategy longRunning = r.oneOf("apilb.balancing.long-running", LongRunningStrategy.class);
    Duration slowStart = r.duration("apilb.balancing.slow-start", true);
    Double panic = r.decimal("apilb.balancing.panic-threshold", 0.0, 1.0);
    Boolean rebalance = r.bool("apilb.balancing.rebalance.enabled");
    Double maxShare = r.decimal("apilb.balancing.rebalance.max-share", 0.0, 1.0);
    Integer perSecond = r.integer("apilb.balancing.rebalance.per-second", 1, 10_000);
    return r.errorCount() > before ? null
        : new BalancingConfig(shortRequests, longRunning, slowStart, panic, rebalance, maxShare, perSecond);
  }

  static OutlierConfig outlier(ValueReader r) {
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

  static ShutdownConfig shutdown(ValueReader r) {
    int before = r.errorCount();
    Duration delay = r.duration("apilb.shutdown.delay", true);
    Duration drain = r.duration("apilb.shutdown.drain-timeout", true);
    return r.errorCount() > before ? null : new ShutdownConfig(delay, drain);
  }

  static AccessLogConfig accessLog(ValueReader r) {
    int before = r.errorCount();
    AccessLogMode mode = r.oneOf("apilb.access-log.mode", AccessLogMode.class);
    Double rate = r.decimal("apilb.access-log.sample-rate", 0.0, 1.0);
    String file = r.optionalString("apilb.access-log.file").orElse("");
    return r.errorCount() > before ? null : new AccessLogConfig(mode, rate, file);
  }

  static ListenerConfig listener(ValueReader r, Path pkiDir) {
    int before = r.errorCount();
    String address = r.string("apilb.listener.address");
    Integer port = r.integer("apilb.listener.port", 0, 65535);
    Path cert = r.file("apilb.listener.tls.cert-file");
    Path key = r.file("apilb.listener.tls.key-file");
    Optional<Path> passphrase = r.optionalFile("apilb.listener.tls.key-passphrase-file");
    Integer streams = r.integer("apilb.listener.max-concurrent-streams", 100, Integer.MAX_VALUE);
    ClientAuthMode clientAuth = r.oneOf("apilb.listener.tls.client-auth", ClientAuthMode.class);
    Optional<Path> clientCa = r.optionalFile("apilb.listener.tls.client-ca-file");
    TlsPolicy policy = EdgeSections.tlsPolicy(r, "apilb.listener.tls");
    List<SniCertificate> sni = EdgeSections.sni(r);
    ProxyProtocolConfig proxyProtocol = EdgeSections.proxyProtocol(r);
    ListenerTimeouts timeouts = listenerTimeouts(r);
    ListenerLimits limits = listenerLimits(r);
    if (r.errorCount() > before || pkiDir == null) {
      return null;
    }
    if (clientAuth == ClientAuthMode.AUTO && clientCa.isPresent()) {
      clientAuth = ClientAuthMode.OPTIONAL; // an explicit CA means the operator wants client certificates
    }
    return new ListenerConfig(address, port, cert, key, streams, clientAuth,
        clientCa.orElse(pkiDir.resolve("ca.crt")), passphrase, policy, sni, proxyProtocol, timeouts, limits);
  }

  private static ListenerTimeouts listenerTimeouts(ValueReader r) {
    int before = r.errorCount();
    Duration header = r.duration("apilb.listener.timeouts.request-header", true);
    Duration idle = r.duration("apilb.listener.timeouts.idle", true);
    Duration bodyIdle = r.duration("apilb.listener.timeouts.request-body-idle", true);
    return r.errorCount() > before ? null : new ListenerTimeouts(header, idle, bodyIdle);
  }

  private static ListenerLimits listenerLimits(ValueReader r) {
    int before = r.errorCount();
    Integer max = r.integer("apilb.listener.limits.max-connections", 0, Integer.MAX_VALUE);
    Integer perSource = r.integer("apilb.listener.limits.max-connections-per-source", 0, Integer.MAX_VALUE);
    return r.errorCount() > before ? null : new ListenerLimits(max, perSource);
  }

  static BackendTlsConfig backendTls(ValueReader r, Path pkiDir) {
    int before = r.errorCount();
    Optional<Path> ca = r.optionalFile("apilb.backend-tls.ca-file");
    Optional<String> serverName = r.optionalString("apilb.backend-tls.server-name");
    Optional<Path> proxyCert = r.optionalFile("apilb.backend-tls.proxy-client-cert-file");
    Optional<Path> proxyKey = r.optionalFile("apilb.backend-tls.proxy-client-key-file");
    Optional<Path> passphrase = r.optionalFile("apilb.backend-tls.proxy-client-key-passphrase-file");
    TlsPolicy policy = EdgeSections.tlsPolicy(r, "apilb.backend-tls");
    BackendHttp2Mode http2 = r.oneOf("apilb.backend-tls.http2", BackendHttp2Mode.class);
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
        proxyKey.orElse(pkiDir.resolve("front-proxy-client.key")), passphrase, policy, http2);
  }

  static IdentityConfig identity(ValueReader r) {
    int before = r.errorCount();
    String user = r.required("apilb.identity.user-header", ConfigSections::headerName);
    String group = r.required("apilb.identity.group-header", ConfigSections::headerName);
    String uid = r.required("apilb.identity.uid-header", ConfigSections::headerName);
    String extra = r.required("apilb.identity.extra-header-prefix", ConfigSections::headerName);
    Boolean sendUid = r.bool("apilb.identity.send-uid");
    Boolean sendCredentialId = r.bool("apilb.identity.send-credential-id");
    return r.errorCount() > before
        ? null
        : new IdentityConfig(user, group, uid, extra, sendUid, sendCredentialId);
  }

  private static String headerName(ConfigValue value) throws InvalidValue {
    String name = ValueConversions.text(value);
    if (!HEADER_NAME.matcher(name).matches()) {
      throw new InvalidValue("must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-; got \""
          + name + "\")");
    }
    return name;
  }

  static HealthConfig health(ValueReader r) {
    int before = r.errorCount();
    String path = r.required("apilb.health.path", ConfigSections::absolutePath);
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

  private static String absolutePath(ConfigValue value) throws InvalidValue {
    String path = ValueConversions.text(value);
    if (!path.startsWith("/")) {
      throw new InvalidValue("must start with '/' (got \"" + path + "\")");
    }
    return path;
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

  static ProxyConfig proxy(ValueReader r) {
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
    Integer watchEvent = r.bytes("apilb.proxy.watch-event-max-bytes", 1, Integer.MAX_VALUE);
    return r.errorCount() > before
        ? null
        : new ProxyConfig(connect, request, initialLine, headerSize, idle, maxIdle, retryBuffer, deadBackend, tunnelIdle,
            watchEvent);
  }

  static ControlPlaneConfig controlPlane(ValueReader r) {
    int before = r.errorCount();
    DiscoveryMode mode = r.oneOf("apilb.discovery.mode", DiscoveryMode.class);
    Duration discoveryInterval = r.duration("apilb.discovery.interval", false);
    java.util.List<String> leases = r.stringList("apilb.control-plane.leases");
    if (leases != null) {
      for (String lease : leases) {
        if (lease.split("/", -1).length != 2 || lease.startsWith("/") || lease.endsWith("/")) {
          r.report("apilb.control-plane.leases", r.value("apilb.control-plane.leases"),
              "each entry must be namespace/name (got \"" + lease + "\")");
        }
      }
    }
    Duration leaseInterval = r.duration("apilb.control-plane.lease-interval", true);
    Duration versionInterval = r.duration("apilb.control-plane.version-interval", true);
    String user = r.string("apilb.api-identity.user");
    java.util.List<String> groups = r.stringList("apilb.api-identity.groups");
    Optional<Path> tokenFile = r.optionalFile("apilb.api-identity.token-file");
    Optional<Path> kubeconfig = r.optionalFile("apilb.api-identity.kubeconfig");
    if (tokenFile.isPresent() && kubeconfig.isPresent()) {
      r.report("apilb.api-identity.kubeconfig", r.value("apilb.api-identity.kubeconfig"),
          "set either apilb.api-identity.token-file or apilb.api-identity.kubeconfig, not both");
    }
    return r.errorCount() > before ? null : new ControlPlaneConfig(mode, discoveryInterval, leases, leaseInterval,
        versionInterval, user, groups, tokenFile, kubeconfig);
  }

  static MetricsConfig metrics(ValueReader r) {
    Integer maxResources = r.integer("apilb.metrics.max-resources", 0, 100_000);
    return maxResources == null ? null : new MetricsConfig(maxResources);
  }

  private static String human(Duration duration) {
    return duration.toString().substring(2).toLowerCase(Locale.ROOT);
  }
}
