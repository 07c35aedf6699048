package io.apilb.backend.pool;

/**
 * The two kinds of backend connection. They never share a pool: a request is sent on a
 * front-proxy connection only when apilb asserts a client certificate identity on it.
 */
public enum ConnectionKind {
  /**
   * Presents no client certificate: bearer-token and anonymous requests, so that anonymous
   * {@code /version} and {@code /readyz} behave exactly as on a direct connection (the apiserver
   * answers 401 to a request on a front-proxy connection that asserts no user).
   */
  NO_CLIENT_CERT,
  /** Presents the front-proxy client certificate; carries requests with identity headers. */
  FRONT_PROXY
}
