package io.apilb.controlplane;

import io.apilb.config.DiscoveryMode;
import java.time.Instant;
import java.util.List;

/**
 * What discovery last did.
 *
 * @param endpoints the last good set (host, port) in published order; empty before the first one
 * @param source "EndpointSlice" or "Endpoints": where the last good set came from
 * @param lastSuccess when the last good set was read (EPOCH: never)
 * @param message "" while the last read was good, else why the last good set is kept
 * @param lastAttempt when discovery last read (EPOCH: never)
 */
public record DiscoveryStatus(DiscoveryMode mode, List<Endpoint> endpoints, String source, Instant lastSuccess,
    String message, Instant lastAttempt) {

  /** One published apiserver. */
  public record Endpoint(String host, int port) {}

  public DiscoveryStatus {
    endpoints = List.copyOf(endpoints);
  }

  public static DiscoveryStatus initial(DiscoveryMode mode) {
    return new DiscoveryStatus(mode, List.of(), "", Instant.EPOCH,
        mode == DiscoveryMode.STATIC ? "" : "not read yet", Instant.EPOCH);
  }
}
