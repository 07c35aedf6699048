package io.apilb.cli;

import com.codahale.metrics.MetricRegistry;
import io.apilb.admin.AdminAccess;
import io.apilb.admin.AdminServer;
import io.apilb.config.ConfigError;
import io.apilb.passthrough.Passthrough;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Optional;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendSet;
import io.apilb.balancing.WatchRegistry;
import io.apilb.backend.pool.BackendPools;
import io.apilb.backend.pool.ConnectionKind;
import io.apilb.backend.pool.PoolSettings;
import io.apilb.balancing.WatchRebalancer;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigException;
import io.apilb.frontend.FrontendServer;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.metrics.PrometheusExporter;
import io.apilb.support.Transport;
import io.apilb.tls.TlsContexts;
import io.apilb.tls.TlsMaterial;
import io.apilb.tls.TlsState;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.apilb.controlplane.ApiClient;
import io.apilb.controlplane.ApiCredentials;
import io.apilb.controlplane.ControlPlaneReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component from one {@link ApilbConfig}, starts them in
 * order, and stops them in reverse. Tests start it in-process on port 0. What happens on reload
 * and on graceful shutdown lives in {@link ConfigReloader} and {@link GracefulShutdown}.
 */
public final class ApilbRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private final Transport transport;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ScheduledExecutorService control;
  private final BackendSet backends;
  private final ApilbMetrics metrics;
  private final BackendPools pools;
  private final TlsState tls;
  private final FrontendServer frontend;
  private final HealthChecks health;
  private final WatchRebalancer rebalancer;
  private final ProxyContexts proxyContexts;
  private final AdminServer admin;
  private final ConfigReloader reloader;
  private final ControlPlaneReader controlPlane;
  private final GracefulShutdown shutdown;
  private final StatusReports status;
  /** Longest wait for one of apilb's own API reads. */
  private static final Duration API_TIMEOUT = Duration.ofSeconds(10);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean closed;

  private ApilbRuntime(ApilbConfig config, TlsMaterial material, Optional<String> adminToken) throws SSLException {
    Clock clock = Clock.systemUTC();
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
    WatchRegistry watches = new WatchRegistry();
    backends.setPanicThreshold(config.balancing().panicThreshold());
    MetricRegistry registry = new MetricRegistry();
    this.metrics = new ApilbMetrics(registry, config.metrics().maxResources());
    BackendGauges gauges = new BackendGauges(metrics, backends, watches);
    gauges.install();

    this.tls = new TlsState(config, material, control, metrics::certificateReload);
    SslContext backendContext = tls.backendContext();
    this.pools = new BackendPools(tls.backendContexts(), tls.frontProxyContexts().orElse(null),
        config.backendTls().http2(), PoolSettings.of(config.proxy()), transport.socketChannelClass(),
        transport.newResolverGroup());
    registry.gauge(MetricNames.BALANCING_PANIC, () -> () -> backends.snapshot().panic() ? 1 : 0);
    this.rebalancer = new WatchRebalancer(config.balancing(), backends, watches, control, metrics);
    this.proxyContexts = new ProxyContexts(backends, clock, pools, metrics, control, watches, tls);
    proxyContexts.set(proxyContexts.build(config, config));
    this.frontend = new FrontendServer(config.listener(), proxyContexts, tls::serverContexts,
        passthrough(config, metrics), transport, boss, workers);
    this.health = new HealthChecks(config.health(), backends, metrics, control, workers, transport, backendContext);
    Membership membership = new Membership(config, backends, pools, gauges);
    this.controlPlane = new ControlPlaneReader(config.controlPlane(), backends,
        new ApiClient(workers, transport.socketChannelClass(), API_TIMEOUT),
        apiCredentials(config, material, backendContext), control, metrics, membership::discovered);
    Transitions transitions = new Transitions();
    transitions.onSnapshot(backends.snapshot());
    backends.addListener(transitions::onSnapshot);
    this.status = new StatusReports(backends, health.probeLog(), controlPlane, watches, metrics, transitions);
    this.admin = new AdminServer(config.admin(), backends, new PrometheusExporter(registry), control,
        boss, workers, transport.serverChannelClass(), adminAccess(config, adminToken), tls::adminContext, status);
    this.reloader = new ConfigReloader(config, () -> closed, metrics, tls, backends, pools, membership, rebalancer,
        health, proxyContexts);
    this.shutdown = new GracefulShutdown(admin, frontend, backends, watches);
  }

  /** TLS passthrough for the configured names, on the listener's event loops and channel class. */
  private Passthrough passthrough(ApilbConfig config, ApilbMetrics metrics) {
    if (!config.passthrough().enabled()) {
      return Passthrough.OFF;
    }
    return new Passthrough(config.passthrough(), backends, () -> proxyContexts.get().balancer(), metrics,
        () -> proxyContexts.get().config().connectTimeout(), transport.socketChannelClass(),
        transport.newResolverGroup());
  }

  /** The admin token, re-read (like the certificates) when its file changes. */
  private AdminAccess adminAccess(ApilbConfig config, Optional<String> token) {
    AdminAccess access = new AdminAccess(token);
    config.admin().tokenFile().ifPresent(file ->
        tls.watchFiles("admin_token", List.of(file), () -> access.setToken(Optional.of(AdminAccess.readToken(file)))));
    return access;
  }

  /** Loads TLS material and starts everything; blocks until the listeners are bound. */
  public static ApilbRuntime start(ApilbConfig config) throws ConfigException, InterruptedException, SSLException {
    TlsMaterial material = validateMaterial(config);
    ApilbRuntime rt = new ApilbRuntime(config, material, adminToken(config));
    try {
      rt.rebalancer.start();
      rt.reloader.watchFile(rt.control);
      rt.tls.start(next -> rt.pools.rotateSslContexts(ConnectionKind.FRONT_PROXY, next));
      rt.health.start();
      rt.controlPlane.start();
      rt.status.start(rt.control);
      ListenerBindException.bind("apilb.listener", config.listener().address(), config.listener().port(),
          () -> rt.frontend.start().sync());
      ListenerBindException.bind("apilb.admin", config.admin().address(), config.admin().port(), rt.admin::start);
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

  /** apilb's identity for its own API reads (control plane status and discovery). */
  private ApiCredentials apiCredentials(ApilbConfig config, TlsMaterial material, SslContext anonymous) {
    try {
      return ApiCredentials.of(config.controlPlane(), config.identity(), anonymous, tls::frontProxyContext,
          material.backendCa());
    } catch (IOException e) {
      throw new IllegalStateException("apilb.api-identity: " + e.getMessage(), e);
    }
  }

  /**
   * Reads every configured key and CA file, reporting problems as configuration errors that name
   * the key and the file.
   */
  public static TlsMaterial validateMaterial(ApilbConfig config) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    TlsMaterial material = null;
    try {
      material = TlsMaterial.load(config);
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    try {
      adminToken(config);
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return material;
  }

  /** The admin bearer token from {@code apilb.admin.token-file}; an unreadable or empty file is a configuration error. */
  static Optional<String> adminToken(ApilbConfig config) throws ConfigException {
    Optional<Path> file = config.admin().tokenFile();
    if (file.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(AdminAccess.readToken(file.get()));
    } catch (IOException e) {
      String source = config.source().map(Path::toString).orElse("<config>");
      throw new ConfigException(List.of(new ConfigError("apilb.admin.token-file", source, -1,
          "cannot read the admin token: " + e.getMessage())));
    }
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
    return new InetSocketAddress(config().admin().address(), admin.port());
  }

  public BackendSet backends() {
    return backends;
  }

  public ApilbMetrics metrics() {
    return metrics;
  }

  public ApilbConfig config() {
    return reloader.running();
  }

  /**
   * Reloads the configuration file (SIGHUP, or the file changed) on the control thread: backends
   * added and removed (a removed backend takes no new request; what it serves finishes), health,
   * timeouts, balancing and outlier settings. An invalid file is rejected with the same messages
   * as {@code check-config} and the running configuration stays. Listener and admin addresses
   * need a restart.
   */
  public void reload(String cause) {
    control.execute(() -> reloader.reload(cause));
  }

  /**
   * Graceful shutdown (SIGTERM), in the order {@link GracefulShutdown} describes, then
   * {@link #close}. Blocking: call it from a signal or shutdown thread, never an event loop.
   */
  public void shutdownGracefully() {
    if (closed) {
      return;
    }
    shutdown.run(config().shutdown());
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
    controlPlane.close();
    pools.close();
    // The reads' TLS connections close through their pipelines before the loops stop (bounded).
    controlPlane.connectionsClosed().awaitUninterruptibly(2, TimeUnit.SECONDS);
    proxyContexts.close();
    control.shutdownNow();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    terminated.countDown();
  }
}
