package io.apilb.backend.pool;

import io.apilb.config.ProxyConfig;
import java.time.Duration;

/** Pool limits, from {@code apilb.proxy.*}. */
public record PoolSettings(Duration connectTimeout, Duration idleTimeout, int maxIdle, int maxHeaderSize) {
  public static PoolSettings of(ProxyConfig proxy) {
    return new PoolSettings(proxy.connectTimeout(), proxy.backendIdleTimeout(), proxy.maxIdlePerBackend(),
        proxy.maxHeaderSize());
  }
}
