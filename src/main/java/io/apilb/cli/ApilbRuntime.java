package io.apilb.cli;

import com.codahale.metrics.MetricRegistry;
import io.apilb.admin.AdminServer;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.WatchRegistry;
import io.apilb.backend.pool.BackendPools;
import io.apilb.backend.pool.ConnectionKind;
import io.apilb.backend.pool.PoolSettings;
import io.apilb.balancing.ClassAwareBalancer;
import io.apilb.balancing.WatchRebalancer;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.frontend.FrontendServer;
import io.apilb.health.HealthChecker;
import io.apilb.health.OutlierDetector;
import io.apilb.health.ReadyzProbe;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.metrics.PrometheusExporter;
import io.apilb.proxy.AccessLog;
import io.apilb.proxy.AsyncAccessLog;
import io.apilb.proxy.IdentityHeaders;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.Transport;
import io.apilb.tls.TlsContexts;
import io.apilb.tls.TlsMaterial;
import io.apilb.tls.TlsState;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import java.util.concurrent.atomic.AtomicReference;
import java.nio.file.Path;
import io.apilb.config.ConfigError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component from one {@link ApilbConfig}, starts them in
 * order, and stops them in reverse. Tests start it in-process on port 0.
 */
public final class ApilbRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private volatile ApilbConfig config;
  private final Transport transport;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ScheduledExecutorService control;
  private final BackendSet backends;
  private final ApilbMetrics metrics;
  private final BackendPools pools;
  private final TlsState tls;
  private final FrontendServer frontend;
  private volatile HealthChecker health;
  private final WatchRebalancer rebalancer;
  private final WatchRegistry watches;
  private volatile ReadyzProbe probe;
  private final SslContext backendContext;
  private final Clock clock = Clock.systemUTC();
  private final AtomicReference<ProxyContext> proxyContext = new AtomicReference<>();
  /** Control thread only: the config file's last seen modification time and size. */
  private String configFileStamp = "";
  private final AdminServer admin;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final BackendGauges gauges;
  private final GracefulShutdown shutdown;
  private volatile boolean closed;

  private ApilbRuntime(ApilbConfig config, TlsMaterial material) throws SSLException {
    this.config = config;
    this.transport = Transport.detect(true);
    this.boss = transport.newGroup(1, "apilb-accept");
    // one I/O event loop per core: more only adds context switches on a busy balancer
    this.workers = transport.newGroup(java.lang.Runtime.getRuntime().availableProcessors(), "apilb-io");
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "apilb-control");
      t.setDaemon(true);
      return t;
    });
    List<Backend> members = config.backends().stream()
        .map(b -> Backend.of(b, config.backendTls().serverName())).toList();
    this.backends = new BackendSet(members, clock);
    this.watches = new WatchRegistry();
    backends.setPanicThreshold(config.balancing().panicThreshold());
    MetricRegistry registry = new MetricRegistry();
    this.metrics = new ApilbMetrics(registry);
    this.gauges = new BackendGauges(metrics, backends, watches);
    gauges.install();

    this.tls = new TlsState(config, material, control, metrics::certificateReload);
    this.backendContext = tls.backendContext();
    this.pools = new BackendPools(backendContext, tls.frontProxyContext().orElse(null), PoolSettings.of(config.proxy()),
        transport.socketChannelClass(), transport.newResolverGroup());
    registry.gauge(MetricNames.BALANCING_PANIC, () -> () -> backends.snapshot().panic() ? 1 : 0);
    this.rebalancer = new WatchRebalancer(config.balancing(), backends, watches, control, metrics);
    proxyContext.set(proxyContextFor(config));
    this.frontend = new FrontendServer(config.listener(), proxyContext::get, tls::serverContext, transport, boss, workers);
    this.probe = new ReadyzProbe(config.health(), workers, transport.socketChannelClass(), backendContext);
    this.health = new HealthChecker(config.health(), backends, probe, metrics, control);
    this.admin = new AdminServer(config.admin(), backends, new PrometheusExporter(registry), control,
        boss, workers, transport.serverChannelClass());
    this.shutdown = new GracefulShutdown(admin, frontend, backends, watches);
  }

  /** Everything exchanges need, for one configuration; replaced whole on reload. */
  private ProxyContext proxyContextFor(ApilbConfig c) {
    return new ProxyContext(backends, ClassAwareBalancer.of(c.balancing(), clock), pools, metrics, c.proxy(),
        new OutlierDetector(c.outlier(), backends, control, metrics), watches, new IdentityHeaders(c.identity()),
        tls.verifier(), accessLogFor(c));
  }

  /** The access log of {@code c}: kept across reloads unless its settings changed. */
  private AccessLog accessLogFor(ApilbConfig c) {
    ProxyContext current = proxyContext.get();
    if (current != null && c.accessLog().equals(config.accessLog())) {
      return current.accessLog();
    }
    if (current != null && current.accessLog() instanceof AsyncAccessLog old) {
      control.schedule(old::close, 5, TimeUnit.SECONDS); // let in-flight exchanges finish logging
    }
    if (!c.accessLog().enabled()) {
      return AccessLog.OFF;
    }
    try {
      return new AsyncAccessLog(c.accessLog());
    } catch (java.io.IOException e) {
      log.error("cannot open access log {}: {}; access logging is off", c.accessLog().file(), e.getMessage());
      return AccessLog.OFF;
    }
  }

  /** Loads TLS material and starts everything; blocks until the listeners are bound. */
  public static ApilbRuntime start(ApilbConfig config) throws ConfigException, InterruptedException, SSLException {
    TlsMaterial material = validateMaterial(config);
    ApilbRuntime rt = new ApilbRuntime(config, material);
    try {
      rt.rebalancer.start();
      rt.config.source().ifPresent(f -> {
        rt.configFileStamp = stamp(f);
        rt.control.scheduleWithFixedDelay(rt::watchConfigFile, 2, 2, TimeUnit.SECONDS);
      });
      rt.tls.start(next -> rt.pools.rotateSslContext(ConnectionKind.FRONT_PROXY, next));
      rt.health.start();
      rt.frontend.start().sync();
      rt.admin.start();
    } catch (RuntimeException | InterruptedException e) {
      rt.close();
      throw e;
    }
    log.info("apilb listening on {} ({} TLS, {} transport, client certificates {}), admin on {}, {} backends: {}",
        rt.listenerAddress(), TlsContexts.provider(), rt.transport.name(),
        material.clientCertificates() ? "on" : "off", rt.adminAddress(),
        config.backends().size(),
        String.join(", ", config.backends().stream().map(b -> b.name() + "=" + b.address()).toList()));
    return rt;
  }

  /**
   * Reads every configured key and CA file, reporting problems as configuration errors that name
   * the key and the file.
   */
  public static TlsMaterial validateMaterial(ApilbConfig config) throws ConfigException {
    return TlsMaterial.load(config);
  }

  /**
   * Reloads the serving certificate, the client CA bundle and the front-proxy client certificate
   * now (SIGHUP). Open connections and watches continue; a failed reload keeps the old material.
   */
  public CompletableFuture<Void> reloadCertificates() {
    return tls.reload();
  }

  public InetSocketAddress listenerAddress() {
    return frontend.localAddress();
  }

  public InetSocketAddress adminAddress() {
    return new InetSocketAddress(config.admin().address(), admin.port());
  }

  public BackendSet backends() {
    return backends;
  }

  public ApilbMetrics metrics() {
    return metrics;
  }

  public ApilbConfig config() {
    return config;
  }

  /**
   * Reloads the configuration file (SIGHUP, or the file changed) on the control thread: backends
   * added and removed (a removed backend takes no new request; what it serves finishes), health,
   * timeouts, balancing and outlier settings. An invalid file is rejected with the same messages
   * as {@code check-config} and the running configuration stays. Listener and admin addresses
   * need a restart.
   */
  public void reload(String cause) {
    control.execute(() -> doReload(cause));
  }

  private void doReload(String cause) {
    Path file = config.source().orElse(null);
    if (file == null || closed) {
      return;
    }
    configFileStamp = stamp(file);
    ApilbConfig next;
    try {
      next = ConfigLoader.load(file);
      validateMaterial(next);
    } catch (ConfigException e) {
      metrics.reloadFailed();
      log.error("reload ({}) rejected, the running configuration stays:\n  {}", cause,
          String.join("\n  ", e.errors().stream().map(ConfigError::render).toList()));
      return;
    }
    ApilbConfig before = config;
    reloadCertificates();
    if (!next.listener().equals(before.listener()) || !next.admin().equals(before.admin())) {
      log.warn("reload ({}): listener and admin settings changed; they apply after a restart", cause);
    }
    List<Backend> members = next.backends().stream().map(b -> Backend.of(b, next.backendTls().serverName())).toList();
    java.util.Set<String> oldNames = new java.util.HashSet<>(backends.snapshot().entries().stream().map(BackendEntry::name).toList());
    backends.replaceMembers(members);
    pools.retain(java.util.Set.copyOf(members));
    for (Backend b : members) {
      if (!oldNames.remove(b.name())) {
        gauges.register(b.name());
      }
    }
    oldNames.forEach(gauges::unregister);
    backends.setPanicThreshold(next.balancing().panicThreshold());
    rebalancer.reconfigure(next.balancing());
    pools.updateSettings(PoolSettings.of(next.proxy()));
    if (!next.health().equals(before.health())) {
      HealthChecker oldHealth = health;
      ReadyzProbe oldProbe = probe;
      probe = new ReadyzProbe(next.health(), workers, transport.socketChannelClass(), backendContext);
      health = new HealthChecker(next.health(), backends, probe, metrics, control);
      oldHealth.close();
      oldProbe.close();
      health.start();
    }
    ProxyContext nextContext = proxyContextFor(next); // compares with the running config first
    config = next;
    proxyContext.set(nextContext);
    metrics.reloaded();
    log.info("reload ({}) applied: {} backends: {}", cause, members.size(),
        String.join(", ", next.backends().stream().map(b -> b.name() + "=" + b.address()).toList()));
  }

  /** Control thread: reloads when the configuration file's time or size changed. */
  private void watchConfigFile() {
    Path file = config.source().orElse(null);
    if (file == null || closed) {
      return;
    }
    String now = stamp(file);
    if (!now.equals(configFileStamp)) {
      doReload("configuration file changed");
    }
  }

  private static String stamp(Path file) {
    try {
      return java.nio.file.Files.getLastModifiedTime(file).toMillis() + ":" + java.nio.file.Files.size(file);
    } catch (java.io.IOException e) {
      return "missing";
    }
  }

  /**
   * Graceful shutdown (SIGTERM), in the order {@link GracefulShutdown} describes, then
   * {@link #close}. Blocking: call it from a signal or shutdown thread, never an event loop.
   */
  public void shutdownGracefully() {
    if (closed) {
      return;
    }
    shutdown.run(config.shutdown());
    close();
  }

  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("apilb stopping");
    tls.close();
    frontend.close();
    admin.close();
    health.close();
    probe.close();
    pools.close();
    if (proxyContext.get() != null && proxyContext.get().accessLog() instanceof AsyncAccessLog a) {
      a.close();
    }
    control.shutdownNow();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    terminated.countDown();
  }
}
