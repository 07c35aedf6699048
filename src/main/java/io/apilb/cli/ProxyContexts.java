package io.apilb.cli;

import io.apilb.backend.BackendSet;
import io.apilb.balancing.WatchRegistry;
import io.apilb.backend.pool.BackendPools;
import io.apilb.balancing.ClassAwareBalancer;
import io.apilb.config.ApilbConfig;
import io.apilb.health.OutlierDetector;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.proxy.AccessLog;
import io.apilb.proxy.AsyncAccessLog;
import io.apilb.proxy.IdentityHeaders;
import io.apilb.proxy.ProxyContext;
import io.apilb.tls.TlsState;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ProxyContext} that new exchanges read. It is built whole for each configuration and
 * swapped in one step, so an exchange sees either the old settings or the new, never a mix.
 */
final class ProxyContexts implements Supplier<ProxyContext> {
  /** The runtime's logger: the access-log error reads as it always has. */
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private final AtomicReference<ProxyContext> current = new AtomicReference<>();
  private final BackendSet backends;
  private final Clock clock;
  private final BackendPools pools;
  private final ApilbMetrics metrics;
  private final ScheduledExecutorService control;
  private final WatchRegistry watches;
  private final TlsState tls;

  ProxyContexts(BackendSet backends, Clock clock, BackendPools pools, ApilbMetrics metrics,
      ScheduledExecutorService control, WatchRegistry watches, TlsState tls) {
    this.backends = backends;
    this.clock = clock;
    this.pools = pools;
    this.metrics = metrics;
    this.control = control;
    this.watches = watches;
    this.tls = tls;
  }

  @Override
  public ProxyContext get() {
    return current.get();
  }

  void set(ProxyContext next) {
    current.set(next);
  }

  /**
   * Everything exchanges need for {@code c}. {@code running} is the configuration the current
   * context was built from: its access log is kept unless the access-log settings changed.
   */
  ProxyContext build(ApilbConfig c, ApilbConfig running) {
    return new ProxyContext(backends, ClassAwareBalancer.of(c.balancing(), clock), pools, metrics, c.proxy(),
        new OutlierDetector(c.outlier(), backends, control, metrics), watches, new IdentityHeaders(c.identity()),
        tls.verifier(), accessLogFor(c, running));
  }

  /** Closes the access log's file and writer thread. */
  void close() {
    if (current.get() != null && current.get().accessLog() instanceof AsyncAccessLog a) {
      a.close();
    }
  }

  private AccessLog accessLogFor(ApilbConfig c, ApilbConfig running) {
    ProxyContext now = current.get();
    if (now != null && c.accessLog().equals(running.accessLog())) {
      return now.accessLog();
    }
    if (now != null && now.accessLog() instanceof AsyncAccessLog old) {
      control.schedule(old::close, 5, TimeUnit.SECONDS); // let in-flight exchanges finish logging
    }
    if (!c.accessLog().enabled()) {
      return AccessLog.OFF;
    }
    try {
      return new AsyncAccessLog(c.accessLog());
    } catch (IOException e) {
      log.error("cannot open access log {}: {}; access logging is off", c.accessLog().file(), e.getMessage());
      return AccessLog.OFF;
    }
  }
}
