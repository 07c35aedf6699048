package io.apilb.cli;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.backend.pool.BackendPools;
import io.apilb.config.ApilbConfig;
import io.apilb.config.BackendConfig;
import io.apilb.config.DiscoveryMode;
import io.apilb.controlplane.DiscoveryStatus.Endpoint;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who the backends are: the configured ones, or, with {@code discovery.mode = endpointslice},
 * the apiservers discovered last (the configured ones are then seeds until the first good
 * discovery). Applies every change to the backend set as a difference: kept backends keep their
 * state and open streams, a removed one takes no new request while what it serves finishes, a new
 * one enters rotation after its first {@code rise} probes. Pooled connections and gauges follow.
 *
 * <p>Control thread only (reload and discovery both run there).
 */
final class Membership {
  private final BackendSet backends;
  private final BackendPools pools;
  private final BackendGauges gauges;
  private ApilbConfig config;
  private List<Endpoint> discovered = List.of();

  Membership(ApilbConfig config, BackendSet backends, BackendPools pools, BackendGauges gauges) {
    this.config = config;
    this.backends = backends;
    this.pools = pools;
    this.gauges = gauges;
  }

  /** A (re)loaded configuration: its seeds, or the discovered set when discovery has one. */
  List<Backend> configure(ApilbConfig next) {
    config = next;
    if (next.controlPlane().discoveryMode() == DiscoveryMode.STATIC) {
      discovered = List.of();
    }
    return apply();
  }

  /** A good, non-empty discovery result (never empty: discovery keeps the last good set itself). */
  void discovered(List<Endpoint> endpoints) {
    if (config.controlPlane().discoveryMode() != DiscoveryMode.ENDPOINTSLICE || endpoints.isEmpty()) {
      return;
    }
    discovered = List.copyOf(endpoints);
    apply();
  }

  private List<Backend> apply() {
    List<Backend> members = discovered.isEmpty() ? seeds() : fromDiscovery();
    Set<Backend> current = new HashSet<>();
    backends.snapshot().entries().forEach(e -> current.add(e.backend()));
    if (current.equals(new HashSet<>(members))) {
      return members;
    }
    Set<String> oldNames = new HashSet<>(backends.snapshot().entries().stream().map(BackendEntry::name).toList());
    backends.replaceMembers(members);
    pools.retain(Set.copyOf(members));
    for (Backend b : members) {
      if (!oldNames.remove(b.name())) {
        gauges.register(b.name());
      }
    }
    oldNames.forEach(gauges::unregister);
    return members;
  }

  private List<Backend> seeds() {
    return config.backends().stream().map(b -> Backend.of(b, serverName())).toList();
  }

  /** Discovered apiservers; one published at a seed's address keeps the seed's name and weight. */
  private List<Backend> fromDiscovery() {
    List<Backend> out = new ArrayList<>();
    for (Endpoint e : discovered) {
      Optional<BackendConfig> seed = config.backends().stream()
          .filter(b -> b.host().equals(e.host()) && b.port() == e.port()).findFirst();
      out.add(seed.map(b -> Backend.of(b, serverName()))
          .orElseGet(() -> new Backend(nameFor(e), e.host(), e.port(), serverName())));
    }
    return out;
  }

  private Optional<String> serverName() {
    return config.backendTls().serverName();
  }

  /** {@code apiserver-10-0-0-11}, or with the port when it is not the seeds' usual one. */
  static String nameFor(Endpoint e) {
    String host = e.host().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    String name = "apiserver-" + host + (e.port() == 6443 ? "" : "-" + e.port());
    return name.length() > 63 ? name.substring(0, 63).replaceAll("-$", "") : name;
  }
}
