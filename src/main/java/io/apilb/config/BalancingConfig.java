package io.apilb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Backend selection ({@code apilb.balancing.*}).
 *
 * @param shortRequests strategy for short requests
 * @param longRunning strategy for watches, followed logs, exec, attach and port-forward
 * @param slowStart window over which a returning backend ramps up its share of new long-running
 *     requests; zero disables
 * @param panicThreshold fraction of backends that must be ready; below it apilb spreads requests
 *     over every backend not known dead instead of refusing them; zero disables
 * @param rebalance whether watches are moved to a backend that joins or returns
 * @param rebalanceMaxShare at most this fraction of all watches is moved per rebalancing
 * @param rebalancePerSecond at most this many watches are ended per second while rebalancing
 */
public record BalancingConfig(
    ShortRequestStrategy shortRequests,
    LongRunningStrategy longRunning,
    Duration slowStart,
    double panicThreshold,
    boolean rebalance,
    double rebalanceMaxShare,
    int rebalancePerSecond) {

  public BalancingConfig {
    Objects.requireNonNull(shortRequests, "shortRequests");
    Objects.requireNonNull(longRunning, "longRunning");
    Objects.requireNonNull(slowStart, "slowStart");
  }
}
