package io.apilb.tls;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;

/**
 * The client contexts of one kind of backend connection: {@code http1} offers ALPN
 * {@code http/1.1} only (upgrades, and every connection when HTTP/2 is off); {@code h2} offers
 * {@code h2} (and {@code http/1.1} in {@code auto} mode) for multiplexed connections, or is null
 * when HTTP/2 towards the backends is off.
 */
public record BackendClientContexts(SslContext http1, SslContext h2) {
  public BackendClientContexts {
    Objects.requireNonNull(http1, "http1");
  }

  /** HTTP/1.1 only. */
  public static BackendClientContexts http1Only(SslContext http1) {
    return new BackendClientContexts(http1, null);
  }
}
