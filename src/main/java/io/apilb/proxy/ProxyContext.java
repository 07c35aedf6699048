package io.apilb.proxy;

import io.apilb.backend.BackendSet;
import io.apilb.backend.PassiveHealth;
import io.apilb.balancing.WatchRegistry;
import io.apilb.backend.pool.BackendConnector;
import io.apilb.balancing.Balancer;
import io.apilb.config.IdentityConfig;
import io.apilb.config.ProxyConfig;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.tls.ClientCertificateVerifier;
import java.util.Objects;
import java.util.Optional;

/**
 * What every exchange needs, shared by all connections. Immutable; its parts are thread-safe.
 *
 * @param pools where exchanges get their backend attempts
 * @param identityHeaders strips client-supplied identity headers and asserts certificate identities
 * @param certificateVerifier present when the listener accepts client certificates
 */
public record ProxyContext(
    BackendSet backends,
    Balancer balancer,
    BackendConnector pools,
    ApilbMetrics metrics,
    ProxyConfig config,
    PassiveHealth passiveHealth,
    WatchRegistry watches,
    IdentityHeaders identityHeaders,
    Optional<ClientCertificateVerifier> certificateVerifier,
    AccessLog accessLog) {
  public ProxyContext {
    Objects.requireNonNull(backends, "backends");
    Objects.requireNonNull(balancer, "balancer");
    Objects.requireNonNull(pools, "pools");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(passiveHealth, "passiveHealth");
    Objects.requireNonNull(watches, "watches");
    Objects.requireNonNull(identityHeaders, "identityHeaders");
    Objects.requireNonNull(certificateVerifier, "certificateVerifier");
    Objects.requireNonNull(accessLog, "accessLog");
  }
}
