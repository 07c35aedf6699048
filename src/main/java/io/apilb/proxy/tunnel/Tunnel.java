package io.apilb.proxy.tunnel;

import io.apilb.support.HandlerNames;
import io.netty.channel.ChannelHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The byte tunnel that replaces an exchange whose backend answered 101 (the shape of Netty's
 * HexDumpProxy example): a {@link TunnelHandler} on either end relays raw bytes. The exchange
 * asks the client side and the backend attempt to hand their channels over, each to its end,
 * with their HTTP handlers removed; then {@link #start()} lets bytes flow.
 */
public final class Tunnel {
  private final TunnelHandler clientEnd = new TunnelHandler("client", null);
  private final TunnelHandler backendEnd;
  private final long idleMillis;

  /**
   * @param idleTimeout closes a tunnel with no traffic either way for this long; zero for never
   * @param tap looks at the backend's bytes (a WebSocket watch); null for a plain tunnel
   */
  public Tunnel(Duration idleTimeout, BackendTap tap) {
    this.idleMillis = idleTimeout.toMillis();
    this.backendEnd = new TunnelHandler("backend", tap);
    clientEnd.pairWith(backendEnd);
    backendEnd.pairWith(clientEnd);
  }

  /** The handler the client's connection is handed over to. */
  public ChannelHandler clientEnd() {
    return clientEnd;
  }

  /** The handler the backend's connection is handed over to. */
  public ChannelHandler backendEnd() {
    return backendEnd;
  }

  /** Ends the tunnel from the backend's side now (event loop): the client gets the tap's last words, then closes. */
  public void end() {
    backendEnd.close();
  }

  /** Both connections are handed over: relays what arrived meanwhile and starts reading. */
  public void start() {
    if (idleMillis > 0) {
      clientEnd.addBefore(HandlerNames.TUNNEL_IDLE, new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
    }
    clientEnd.start();
    backendEnd.start();
  }
}
