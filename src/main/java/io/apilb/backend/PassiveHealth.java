package io.apilb.backend;

/**
 * What exchanges observe about backends between probes. Called on event loops: implementations
 * count cheaply and hand any state change to the control thread.
 */
public interface PassiveHealth {
  /** A response that was not a 5xx. */
  void onSuccess(BackendEntry backend);

  /** A connect or TLS failure, a broken connection or a 5xx answer. */
  void onFailure(BackendEntry backend, String what);

  /** A response head with status {@code code}: a 5xx is a failure, anything else a success. */
  default void onResponse(BackendEntry backend, int code) {
    if (code >= 500) {
      onFailure(backend, "HTTP " + code);
    } else {
      onSuccess(backend);
    }
  }

  /** The backend rejected a request because it is shutting down (429 + Connection: close, or 503 + Retry-After). */
  void onShuttingDown(BackendEntry backend, String what);

  PassiveHealth NONE = new PassiveHealth() {
    @Override
    public void onSuccess(BackendEntry backend) {}

    @Override
    public void onFailure(BackendEntry backend, String what) {}

    @Override
    public void onShuttingDown(BackendEntry backend, String what) {}
  };
}
