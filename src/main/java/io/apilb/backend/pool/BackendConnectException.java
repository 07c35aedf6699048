package io.apilb.backend.pool;

/**
 * A backend connection could not be established: TCP connect or TLS handshake. No request byte
 * was written, so the request may go to another backend whatever its verb.
 */
public final class BackendConnectException extends Exception {
  private static final long serialVersionUID = 1L;
  private final boolean tls;

  public BackendConnectException(String message, boolean tls, Throwable cause) {
    super(message, cause);
    this.tls = tls;
  }

  /** True for a TLS handshake failure, false for a TCP connect failure. */
  public boolean tls() {
    return tls;
  }
}
