package io.apilb.proxy.tunnel;

import io.apilb.backend.pool.BackendAttempt;
import io.apilb.proxy.ClientSide;
import io.apilb.support.HandlerNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Turns an exchange whose backend answered 101 into a byte tunnel (the shape of Netty's
 * HexDumpProxy example): the client side and the backend attempt each hand over their channel,
 * HTTP handlers removed, and a {@link TunnelHandler} on either end relays raw bytes from then on.
 */
public final class Tunnel {
  private Tunnel() {}

  /**
   * @param switching the backend's 101 response head (the client gets it first)
   * @param idleTimeout closes a tunnel with no traffic either way for this long; zero for never
   */
  public static void open(ClientSide client, BackendAttempt backend, HttpResponse switching, Duration idleTimeout) {
    TunnelHandler clientEnd = new TunnelHandler("client");
    TunnelHandler backendEnd = new TunnelHandler("backend");
    clientEnd.pairWith(backendEnd);
    backendEnd.pairWith(clientEnd);
    client.switchProtocols(switching, clientEnd);
    backend.handOver(backendEnd);
    long idleMillis = idleTimeout.toMillis();
    if (idleMillis > 0) {
      clientEnd.addBefore(HandlerNames.TUNNEL_IDLE, new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
    }
    clientEnd.start();
    backendEnd.start();
  }
}
