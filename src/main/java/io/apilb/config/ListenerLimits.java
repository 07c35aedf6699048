package io.apilb.config;

/**
 * Client-connection limits ({@code apilb.listener.limits.*}); 0 means no limit. A connection over
 * a limit is closed as soon as it is accepted, before any TLS work; open ones are not affected.
 *
 * @param maxConnections open client connections in all
 * @param maxConnectionsPerSource open client connections from one client IP address (the PROXY
 *     protocol's source address where that is in use)
 */
public record ListenerLimits(int maxConnections, int maxConnectionsPerSource) {
  /** The reference.conf defaults. */
  public static final ListenerLimits DEFAULTS = new ListenerLimits(20_000, 1_000);
  public static final ListenerLimits NONE = new ListenerLimits(0, 0);

  public ListenerLimits {
    if (maxConnections < 0 || maxConnectionsPerSource < 0) {
      throw new IllegalArgumentException("limits must be >= 0");
    }
  }
}
