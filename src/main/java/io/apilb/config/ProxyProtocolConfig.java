package io.apilb.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * PROXY protocol on the listener ({@code apilb.listener.proxy-protocol.*}).
 *
 * @param trustedSources the L4 balancers allowed to send a header; a header from any other address
 *     closes the connection
 * @param headerTimeout how long a connection may take to send its header
 */
public record ProxyProtocolConfig(ProxyProtocolMode mode, List<Cidr> trustedSources, Duration headerTimeout) {
  public static final ProxyProtocolConfig OFF = new ProxyProtocolConfig(ProxyProtocolMode.OFF, List.of(), Duration.ofSeconds(5));

  public ProxyProtocolConfig {
    Objects.requireNonNull(mode, "mode");
    trustedSources = List.copyOf(trustedSources);
    Objects.requireNonNull(headerTimeout, "headerTimeout");
  }

  public boolean enabled() {
    return mode != ProxyProtocolMode.OFF;
  }

  /** Whether {@code source} (the TCP peer) may send a PROXY header. */
  public boolean trusts(InetAddress source) {
    for (Cidr c : trustedSources) {
      if (c.contains(source)) {
        return true;
      }
    }
    return false;
  }
}
