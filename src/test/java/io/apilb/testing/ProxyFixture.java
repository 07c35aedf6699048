package io.apilb.testing;

import com.codahale.metrics.MetricRegistry;
import io.apilb.backend.Backend;
import io.apilb.backend.BackendSet;
import io.apilb.backend.HealthFlag;
import io.apilb.balancing.ClassAwareBalancer;
import io.apilb.balancing.WatchRegistry;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.metrics.MetricNames;
import io.apilb.proxy.IdentityHeaders;
import io.apilb.proxy.ProxyContext;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A {@link ProxyContext} built as {@code ApilbRuntime.proxyContextFor} builds it, from a small
 * configuration, with a {@link FakeBackendConnector}, recording passive health and access log, and
 * its own metric registry. Balancing is round-robin (the first request goes to the first backend);
 * every backend starts ready.
 */
public final class ProxyFixture {
  public static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  public final ApilbConfig config;
  public final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  public final BackendSet backends;
  public final FakeBackendConnector connector = new FakeBackendConnector();
  public final MetricRegistry registry = new MetricRegistry();
  public final ApilbMetrics metrics = new ApilbMetrics(registry);
  public final RecordingPassiveHealth passiveHealth = new RecordingPassiveHealth();
  public final RecordingAccessLog accessLog = new RecordingAccessLog();
  public final WatchRegistry watches = new WatchRegistry();
  public final ProxyContext context;

  private ProxyFixture(ApilbConfig config) {
    this.config = config;
    List<Backend> members = config.backends().stream()
        .map(b -> Backend.of(b, config.backendTls().serverName())).toList();
    this.backends = new BackendSet(members, clock);
    members.forEach(b -> setReady(b.name()));
    this.context = new ProxyContext(backends, ClassAwareBalancer.of(config.balancing(), clock), connector, metrics,
        config.proxy(), passiveHealth, watches, new IdentityHeaders(config.identity()), Optional.empty(), accessLog);
  }

  /** Backends cp1, cp2, cp3 (10.0.0.1-3:6443), all ready. */
  public static ProxyFixture create() {
    return create("");
  }

  /**
   * Backends cp1, cp2, cp3, all ready.
   *
   * @param proxySettings HOCON inside {@code apilb.proxy { }}, e.g. {@code "retry-buffer-bytes = 4"}
   */
  public static ProxyFixture create(String proxySettings) {
    return create(proxySettings, "cp1", "cp2", "cp3");
  }

  public static ProxyFixture create(String proxySettings, String... backendNames) {
    String backends = Arrays.stream(backendNames)
        .map(n -> "{ name = \"" + n + "\", address = \"10.0.0." + (1 + Arrays.asList(backendNames).indexOf(n))
            + ":6443\" }")
        .collect(Collectors.joining("\n"));
    String hocon = "apilb {\n"
        + "  listener.tls { cert-file = \"/test/apilb.crt\", key-file = \"/test/apilb.key\" }\n"
        + "  backend-tls.ca-file = \"/test/ca.crt\"\n"
        + "  backends = [\n" + backends + "\n]\n"
        + "  balancing { short-requests = round-robin, long-running = round-robin, slow-start = 0 }\n"
        + "  proxy {\n" + proxySettings + "\n}\n"
        + "}\n";
    try {
      return new ProxyFixture(ConfigLoader.parse(hocon, "ProxyFixture"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Clears every health flag of {@code name} (as passing probes would). */
  public void setReady(String name) {
    backends.update(name, s -> {
      var next = s.withProbe("ok", NOW);
      for (HealthFlag f : HealthFlag.values()) {
        next = next.withFlag(f, false, "probe: ok", NOW);
      }
      return next;
    });
  }

  /** Sets {@code flag} on {@code name} with {@code reason}. */
  public void flag(String name, HealthFlag flag, String reason) {
    backends.update(name, s -> s.withFlag(flag, true, reason, NOW));
  }

  public long counter(String name) {
    return registry.counter(name).getCount();
  }

  /** {@code apilb.backend.retries.<backend>.<reason>}. */
  public long retries(String backend, String reason) {
    return counter(MetricRegistry.name(MetricNames.BACKEND_RETRIES, backend, reason));
  }

  /** {@code apilb.backend.requests.<backend>.<class>.<status>}. */
  public long requests(String backend, String requestClass, int status) {
    return counter(MetricRegistry.name(MetricNames.BACKEND_REQUESTS, backend, requestClass, Integer.toString(status)));
  }

  /** Every request counted, over all backends, classes and statuses. */
  public long allRequests() {
    return registry.getCounters((n, m) -> n.startsWith(MetricNames.BACKEND_REQUESTS + "."))
        .values().stream().mapToLong(c -> c.getCount()).sum();
  }

  /** {@code apilb.proxy.failures.<tag>}. */
  public long failures(String tag) {
    return counter(MetricRegistry.name(MetricNames.PROXY_FAILURES, tag));
  }
}
