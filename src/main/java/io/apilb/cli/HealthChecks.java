package io.apilb.cli;

import io.apilb.backend.BackendSet;
import io.apilb.config.HealthConfig;
import io.apilb.health.HealthChecker;
import io.apilb.health.ProbeLog;
import io.apilb.health.ReadyzProbe;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.support.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The active health checker and the probe it uses. Both take their settings at construction, so
 * a reload that changes {@code apilb.health} replaces the pair rather than reconfiguring it.
 */
final class HealthChecks implements AutoCloseable {
  private final BackendSet backends;
  private final ApilbMetrics metrics;
  private final ScheduledExecutorService control;
  private final EventLoopGroup workers;
  private final Transport transport;
  private final SslContext backendContext;
  private volatile ReadyzProbe probe;
  private volatile HealthChecker checker;
  private final ProbeLog probeLog = new ProbeLog();

  HealthChecks(HealthConfig config, BackendSet backends, ApilbMetrics metrics, ScheduledExecutorService control,
      EventLoopGroup workers, Transport transport, SslContext backendContext) {
    this.backends = backends;
    this.metrics = metrics;
    this.control = control;
    this.workers = workers;
    this.transport = transport;
    this.backendContext = backendContext;
    this.probe = newProbe(config);
    this.checker = new HealthChecker(config, backends, probe, metrics, control).withProbeLog(probeLog);
  }

  /** Every backend's last probe result, across reloads. */
  ProbeLog probeLog() {
    return probeLog;
  }

  void start() {
    checker.start();
  }

  /** Control thread: a new pair for {@code next}; the old one stops before the new one starts. */
  void replace(HealthConfig next) {
    HealthChecker oldChecker = checker;
    ReadyzProbe oldProbe = probe;
    probe = newProbe(next);
    checker = new HealthChecker(next, backends, probe, metrics, control).withProbeLog(probeLog);
    oldChecker.close();
    oldProbe.close();
    checker.start();
  }

  @Override
  public void close() {
    checker.close();
    probe.close();
  }

  private ReadyzProbe newProbe(HealthConfig config) {
    return new ReadyzProbe(config, workers, transport.socketChannelClass(), backendContext);
  }
}
