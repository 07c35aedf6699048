package io.apilb.support;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The real client of a connection: the TCP peer, unless something that knows better (the PROXY
 * protocol header of an outer balancer) has set {@link #ATTRIBUTE}. Code that accounts or reports
 * per client reads it here, never {@code Channel.remoteAddress()} directly, so that one attribute
 * changes the answer everywhere.
 *
 * <p>Whoever sets the attribute after the connection was accepted fires {@link Changed} on the
 * pipeline (from its head, {@code channel.pipeline().fireUserEventTriggered}) so that per-source
 * accounting made at accept time moves to the real address.
 */
public final class ClientAddress {
  /** The client's real address when it differs from the TCP peer. */
  public static final AttributeKey<InetSocketAddress> ATTRIBUTE = AttributeKey.valueOf("apilb.client-address");

  private ClientAddress() {}

  /** The client's socket address: the attribute if set, else the TCP peer. */
  public static SocketAddress of(Channel ch) {
    InetSocketAddress real = ch.attr(ATTRIBUTE).get();
    return real != null ? real : ch.remoteAddress();
  }

  /** The client's IP, or null when the connection has none (an embedded or local channel). */
  public static InetAddress ipOf(Channel ch) {
    return of(ch) instanceof InetSocketAddress isa ? isa.getAddress() : null;
  }

  /** The user event announcing that {@link #ATTRIBUTE} was set. */
  public static final class Changed {
    public static final Changed INSTANCE = new Changed();

    private Changed() {}
  }
}
