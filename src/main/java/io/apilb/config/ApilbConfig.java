package io.apilb.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole validated configuration, mapped once from Typesafe Config by {@link ConfigLoader}.
 * Immutable: a reload builds a new instance and the control thread swaps it in.
 *
 * @param source the file this configuration came from, if any (for messages)
 * @param identity the authenticating-proxy headers that carry a client certificate identity
 * @param controlPlane discovery, leader Leases and the identity apilb reads the API with
 * @param metrics request-metric cardinality limits
 * @param pkiDir kubeadm-layout certificate directory every unset certificate path is derived from
 * @param certificateReloadInterval how often certificate files are checked for changes; 0: only
 *     on SIGHUP
 * @param passthrough server names whose TLS connections are relayed to a backend unterminated
 */
public record ApilbConfig(
    Optional<Path> source,
    ListenerConfig listener,
    List<BackendConfig> backends,
    BackendTlsConfig backendTls,
    HealthConfig health,
    AdminConfig admin,
    ProxyConfig proxy,
    BalancingConfig balancing,
    OutlierConfig outlier,
    ShutdownConfig shutdown,
    AccessLogConfig accessLog,
    IdentityConfig identity,
    ControlPlaneConfig controlPlane,
    MetricsConfig metrics,
    Path pkiDir,
    Duration certificateReloadInterval,
    PassthroughConfig passthrough) {

  public ApilbConfig {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(listener, "listener");
    backends = List.copyOf(backends);
    Objects.requireNonNull(backendTls, "backendTls");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(proxy, "proxy");
    Objects.requireNonNull(balancing, "balancing");
    Objects.requireNonNull(outlier, "outlier");
    Objects.requireNonNull(shutdown, "shutdown");
    Objects.requireNonNull(accessLog, "accessLog");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(controlPlane, "controlPlane");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(pkiDir, "pkiDir");
    Objects.requireNonNull(certificateReloadInterval, "certificateReloadInterval");
    Objects.requireNonNull(passthrough, "passthrough");
  }
}
