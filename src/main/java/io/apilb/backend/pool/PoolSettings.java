package io.apilb.backend.pool;

import io.apilb.config.ProxyConfig;
import java.time.Duration;

/**
 * Pool limits, from {@code apilb.proxy.*}.
 *
 * @param deadBackendDetection how fast a silent dead backend under an idle watch or tunnel is
 *     noticed (TCP keepalive and user timeout); zero leaves the system defaults (hours)
 */
public record PoolSettings(
    Duration connectTimeout, Duration idleTimeout, int maxIdle, int maxHeaderSize, Duration deadBackendDetection) {
  public static PoolSettings of(ProxyConfig proxy) {
    return new PoolSettings(proxy.connectTimeout(), proxy.backendIdleTimeout(), proxy.maxIdlePerBackend(),
        proxy.maxHeaderSize(), proxy.deadBackendDetection());
  }
}
