package io.apilb.cli;

import com.codahale.metrics.MetricRegistry;
import io.apilb.admin.AdminServer;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendSet;
import io.apilb.backend.pool.BackendPools;
import io.apilb.backend.pool.ConnectionKind;
import io.apilb.backend.pool.PoolSettings;
import io.apilb.balancing.RoundRobinBalancer;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigException;
import io.apilb.frontend.FrontendServer;
import io.apilb.health.HealthChecker;
import io.apilb.health.ReadyzProbe;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.PrometheusExporter;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component from one {@link ApilbConfig}, starts them in
 * order, and stops them in reverse. Tests start it in-process on port 0.
 */
public final class ApilbRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private final ApilbConfig config;
  private final Transport transport;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ScheduledExecutorService control;
  private final BackendSet backends;
  private final ApilbMetrics metrics;
  private final BackendPools pools;
  private final TlsState tls;
  private final FrontendServer frontend;
  private final HealthChecker health;
  private final ReadyzProbe probe;
  private final AdminServer admin;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean closed;

  private ApilbRuntime(ApilbConfig config, TlsMaterial material) throws SSLException {
    this.config = config;
    this.transport = Transport.detect(true);
    this.boss = transport.newGroup(1, "apilb-accept");
    this.workers = transport.newGroup(0, "apilb-io");
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "apilb-control");
      t.setDaemon(true);
      return t;
    });
    List<Backend> members = config.backends().stream()
        .map(b -> Backend.of(b, config.backendTls().serverName())).toList();
    this.backends = new BackendSet(members, Clock.systemUTC());
    MetricRegistry registry = new MetricRegistry();
    this.metrics = new ApilbMetrics(registry);
    backends.snapshot().entries().forEach(e -> metrics.registerBackend(e.name(),
        () -> e.stats().inFlight(), () -> e.stats().activeLongRunning(),
        () -> backends.snapshot().byName(e.name()).map(x -> x.ready() ? 1 : 0).orElse(0)));

    this.tls = new TlsState(config, material, control, metrics::certificateReload);
    SslContext backendContext = tls.backendContext();
    this.pools = new BackendPools(backendContext, tls.frontProxyContext().orElse(null), PoolSettings.of(config.proxy()),
        transport.socketChannelClass(), transport.newResolverGroup());
    ProxyContext px = new ProxyContext(backends, new RoundRobinBalancer(), pools, metrics, config.proxy(),
        new IdentityHeaders(config.identity()), tls.verifier());
    this.frontend = new FrontendServer(config.listener(), px, tls::serverContext, transport, boss, workers);
    this.probe = new ReadyzProbe(config.health(), workers, transport.socketChannelClass(), backendContext);
    this.health = new HealthChecker(config.health(), backends, probe, metrics, control);
    this.admin = new AdminServer(config.admin(), backends, new PrometheusExporter(registry), control,
        boss, workers, transport.serverChannelClass());
  }

  /** Loads TLS material and starts everything; blocks until the listeners are bound. */
  public static ApilbRuntime start(ApilbConfig config) throws ConfigException, InterruptedException, SSLException {
    TlsMaterial material = validateMaterial(config);
    ApilbRuntime rt = new ApilbRuntime(config, material);
    try {
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
    control.shutdownNow();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    terminated.countDown();
  }
}
