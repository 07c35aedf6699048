package io.apilb.proxy;

import io.apilb.backend.pool.BackendAttempt;
import io.apilb.proxy.tunnel.Tunnel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * After a backend's 101 for an upgrade (exec, attach, port-forward, proxy, a watch over
 * WebSocket): the client's connection and the backend's leave HTTP and become the two ends of
 * one {@link Tunnel}. The tunnel package knows neither side, so the hand-over happens here: each
 * side removes the HTTP handlers it installed ({@link ClientSide#switchProtocols},
 * {@link BackendAttempt#handOver}) and the tunnel starts relaying bytes.
 */
final class TunnelHandOver {
  private TunnelHandOver() {}

  /**
   * Hands both connections to a new tunnel: one that taps a watch over WebSocket (to end it at an
   * event boundary), plain bytes for anything else.
   *
   * @param switching the backend's 101, written to the client as it is
   * @param upgrade the request head the backend accepted
   * @param attempt the backend side, which the exchange has let go of (the tunnel owns it now)
   */
  static void start(HttpResponse switching, HttpRequest upgrade, BackendAttempt attempt, ClientSide client,
      ProxyContext px, String backend) {
    Tunnel tunnel = WebSocketWatchTap.tunnelFor(upgrade, px, backend, client.eventLoop(), client.alloc());
    client.switchProtocols(switching, tunnel.clientEnd());
    attempt.handOver(tunnel.backendEnd());
    tunnel.start();
  }
}
