package io.apilb.config;

/**
 * How short requests pick a backend ({@code apilb.balancing.short-requests}).
 *
 * <ul>
 *   <li>{@link #LEAST_IN_FLIGHT} ({@code least-in-flight}): the less busy of two random ready
 *       backends (power of two choices: a near-optimal spread without a scan of all backends).
 *   <li>{@link #ROUND_ROBIN} ({@code round-robin}): each ready backend in turn.
 * </ul>
 */
public enum ShortRequestStrategy {
  LEAST_IN_FLIGHT, ROUND_ROBIN
}
