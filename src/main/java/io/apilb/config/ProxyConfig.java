package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Proxy-path limits and timeouts ({@code apilb.proxy.*}).
 *
 * @param connectTimeout TCP connect plus TLS handshake towards a backend
 * @param requestTimeout total time for a short (not long-running) request; 0 disables
 * @param maxInitialLineLength HTTP/1.1 request line limit (longer: 400 with Status JSON)
 * @param maxHeaderSize total request header limit (larger: 431 with Status JSON)
 * @param backendIdleTimeout idle pooled backend connections are closed after this; below the
 *     apiserver's own 90 s so that we, not the backend, close idle connections
 * @param maxIdlePerBackend idle connections kept per backend per event loop
 * @param retryBufferBytes request bodies up to this size are held for a retry
 * @param deadBackendDetection a backend that vanished silently under an idle watch or tunnel is
 *     detected within this time (TCP keepalive and user timeout); 0 keeps the system defaults
 * @param tunnelIdleTimeout exec, attach and port-forward tunnels with no byte either way for this
 *     long are closed; 0 disables
 * @param watchEventMaxBytes a watch event is held until it is whole, up to this size (larger ones
 *     pass as they come, and such a watch cannot be ended cleanly until its next event)
 */
public record ProxyConfig(
    Duration connectTimeout,
    Duration requestTimeout,
    int maxInitialLineLength,
    int maxHeaderSize,
    Duration backendIdleTimeout,
    int maxIdlePerBackend,
    int retryBufferBytes,
    Duration deadBackendDetection,
    Duration tunnelIdleTimeout,
    int watchEventMaxBytes) {

  public ProxyConfig {
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(backendIdleTimeout, "backendIdleTimeout");
    Objects.requireNonNull(deadBackendDetection, "deadBackendDetection");
    Objects.requireNonNull(tunnelIdleTimeout, "tunnelIdleTimeout");
  }
}
