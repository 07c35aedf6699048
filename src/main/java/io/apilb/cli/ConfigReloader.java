package io.apilb.cli;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.pool.BackendPools;
import io.apilb.backend.pool.PoolSettings;
import io.apilb.balancing.WatchRebalancer;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigError;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.proxy.ProxyContext;
import io.apilb.tls.TlsState;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configuration file to the running balancer (SIGHUP, or the file changed). The file
 * is validated whole first, TLS material included, so that a bad edit is rejected with the
 * messages of {@code check-config} and the running configuration stays. An accepted file is
 * applied as a difference: only added and removed backends change membership (open streams to
 * the others continue), health checks are replaced only when their settings changed, and the
 * rest takes effect through a new proxy context. Listener and admin addresses need a restart.
 *
 * <p>Control thread only: one reload at a time, and the only writer of the running configuration.
 */
final class ConfigReloader {
  /** The runtime's logger: reload lines read as they always have. */
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private volatile ApilbConfig running;
  /** The file the configuration came from; null when it was parsed from text (nothing to reload). */
  private final Path file;
  private final ConfigFileWatcher watcher;
  private final BooleanSupplier closed;
  private final ApilbMetrics metrics;
  private final TlsState tls;
  private final BackendSet backends;
  private final BackendPools pools;
  private final Membership membership;
  private final WatchRebalancer rebalancer;
  private final HealthChecks health;
  private final ProxyContexts proxyContexts;

  ConfigReloader(ApilbConfig initial, BooleanSupplier closed, ApilbMetrics metrics, TlsState tls,
      BackendSet backends, BackendPools pools, Membership membership, WatchRebalancer rebalancer,
      HealthChecks health, ProxyContexts proxyContexts) {
    this.running = initial;
    this.file = initial.source().orElse(null);
    this.watcher = file == null ? null : new ConfigFileWatcher(file);
    this.closed = closed;
    this.metrics = metrics;
    this.tls = tls;
    this.backends = backends;
    this.pools = pools;
    this.membership = membership;
    this.rebalancer = rebalancer;
    this.health = health;
    this.proxyContexts = proxyContexts;
  }

  /** The configuration in force: the initial one, then the last accepted reload. */
  ApilbConfig running() {
    return running;
  }

  /** Reloads whenever the configuration file changes (when there is a file). */
  void watchFile(ScheduledExecutorService control) {
    if (watcher != null) {
      watcher.start(control, () -> reload("configuration file changed"));
    }
  }

  /** Control thread: loads, validates and applies the configuration file. */
  void reload(String cause) {
    if (file == null || closed.getAsBoolean()) {
      return;
    }
    watcher.remember();
    ApilbConfig next;
    try {
      next = ConfigLoader.load(file);
      ApilbRuntime.validateMaterial(next);
    } catch (ConfigException e) {
      metrics.reloadFailed();
      log.error("reload ({}) rejected, the running configuration stays:\n  {}", cause,
          String.join("\n  ", e.errors().stream().map(ConfigError::render).toList()));
      return;
    }
    apply(next, cause);
  }

  private void apply(ApilbConfig next, String cause) {
    ApilbConfig before = running;
    tls.reload();
    if (!next.listener().equals(before.listener()) || !next.admin().equals(before.admin())
        || !next.passthrough().equals(before.passthrough())) {
      log.warn("reload ({}): listener, passthrough or admin settings changed; they apply after a restart", cause);
    }
    List<Backend> members = membership.configure(next);
    backends.setPanicThreshold(next.balancing().panicThreshold());
    rebalancer.reconfigure(next.balancing());
    pools.updateSettings(PoolSettings.of(next.proxy()));
    if (!next.health().equals(before.health())) {
      health.replace(next.health());
    }
    ProxyContext nextContext = proxyContexts.build(next, before); // compares with the running config first
    running = next;
    proxyContexts.set(nextContext);
    metrics.reloaded();
    log.info("reload ({}) applied: {} backends: {}", cause, members.size(),
        String.join(", ", next.backends().stream().map(b -> b.name() + "=" + b.address()).toList()));
  }
}
