package io.apilb.support;

/**
 * Fired on every client connection's pipeline when apilb shuts down: HTTP/1.1 exchanges answer
 * with {@code Connection: close} and close idle connections; HTTP/2 connections send GOAWAY with
 * the last stream id they will still serve.
 */
public final class DrainEvent {
  public static final DrainEvent INSTANCE = new DrainEvent();

  private DrainEvent() {}
}
