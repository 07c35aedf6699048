package io.apilb.config;

/**
 * How watches, followed logs, exec, attach and port-forward pick a backend
 * ({@code apilb.balancing.long-running}). They stay for minutes or hours, so what matters is how
 * many each backend already holds, not its momentary load.
 *
 * <ul>
 *   <li>{@link #LEAST_LONG_RUNNING} ({@code least-long-running}): the backend holding the fewest
 *       of them, weighted, with a returning backend ramped up over {@code slow-start}.
 *   <li>{@link #ROUND_ROBIN} ({@code round-robin}): each ready backend in turn.
 * </ul>
 */
public enum LongRunningStrategy {
  LEAST_LONG_RUNNING, ROUND_ROBIN
}
