package io.apilb.tls;

import io.apilb.config.ServerNames;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Objects;

/**
 * The listener's TLS contexts: one per SNI certificate and the default one for every other
 * client. Immutable; a reload builds a new instance, so a connection sees one consistent set.
 */
public record ServerContexts(SslContext defaultContext, List<ByName> byName) {
  /** The context for clients that send one of {@code names}. */
  public record ByName(ServerNames names, SslContext context) {}

  public ServerContexts {
    Objects.requireNonNull(defaultContext, "defaultContext");
    byName = List.copyOf(byName);
  }

  /** The context for a client that sent {@code serverName} in SNI (null: none). */
  public SslContext select(String serverName) {
    if (serverName != null) {
      for (ByName b : byName) {
        if (b.names().matches(serverName)) {
          return b.context();
        }
      }
    }
    return defaultContext;
  }
}
