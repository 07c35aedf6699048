package io.apilb.config;

/**
 * Whether requests that are not upgrades go to the apiservers over HTTP/2
 * ({@code apilb.backend-tls.http2}).
 *
 * <ul>
 *   <li>{@link #AUTO}: offer ALPN {@code h2} and {@code http/1.1}; multiplex where the backend
 *       negotiates {@code h2}, HTTP/1.1 connections elsewhere.
 *   <li>{@link #ON}: offer only {@code h2} on multiplexed connections; a backend that does not
 *       negotiate it fails the connection (as a TLS failure: the next backend is tried).
 *   <li>{@link #OFF}: HTTP/1.1 connections only, one per concurrent request.
 * </ul>
 *
 * Upgrades (exec, attach, port-forward, proxy) always use dedicated HTTP/1.1 connections, and
 * anonymous requests always use HTTP/1.1 (see docs/architecture.md, "Sharing backend connections").
 */
public enum BackendHttp2Mode {
  AUTO, ON, OFF
}
