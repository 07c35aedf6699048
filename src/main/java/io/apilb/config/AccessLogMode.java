package io.apilb.config;

/**
 * Which requests the JSON access log records ({@code apilb.access-log.mode}: {@code off},
 * {@code on} or {@code sampled}).
 *
 * <ul>
 *   <li>{@link #OFF}: none.
 *   <li>{@link #ON}: every request.
 *   <li>{@link #SAMPLED}: errors (status 400 and above) always, successes at
 *       {@code sample-rate}, so that a busy balancer can keep a log without writing every watch
 *       renewal.
 * </ul>
 */
public enum AccessLogMode {
  OFF, ON, SAMPLED
}
