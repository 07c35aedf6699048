package io.apilb.proxy;

import io.apilb.proxy.tunnel.BackendTap;
import io.apilb.proxy.tunnel.Tunnel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A watch upgraded to WebSocket, seen from its tunnel: the backend's frames reach the client in
 * whole messages (one event each), and when the backend goes away, or the watch is ended to
 * rebalance, between events, the client gets a close frame with status 1000 (normal closure), as
 * kube-apiserver sends when its own watch timeout ends the stream, and re-watches.
 */
final class WebSocketWatchTap implements BackendTap {
  /** FIN + close opcode, unmasked (server to client), 2 payload bytes: status 1000. */
  private static final byte[] NORMAL_CLOSURE = {(byte) 0x88, 0x02, 0x03, (byte) 0xE8};

  private final WatchStream watch;

  private WebSocketWatchTap(WatchStream watch) {
    this.watch = watch;
  }

  /**
   * The tunnel for an upgrade the backend accepted: with a tap (and a registered watch) when it
   * is a watch over WebSocket, plain bytes for exec, attach, port-forward and proxy.
   */
  static Tunnel tunnelFor(HttpRequest upgrade, ProxyContext px, String backend, EventLoop loop, ByteBufAllocator alloc) {
    WatchStream ws = WatchStream.ofWebSocketUpgrade(upgrade, px, backend, loop, alloc);
    Tunnel tunnel = new Tunnel(px.config().tunnelIdleTimeout(), ws == null ? null : new WebSocketWatchTap(ws));
    if (ws != null) {
      ws.onEndNow(tunnel::end);
    }
    return tunnel;
  }

  @Override
  public ByteBuf fromBackend(ByteBuf bytes) {
    return watch.pass(bytes);
  }

  @Override
  public boolean endDue() {
    return watch.endDue();
  }

  @Override
  public ByteBuf lastWords(ByteBufAllocator alloc) {
    if (!watch.atEventBoundary()) {
      return null; // mid-message: a close frame now would corrupt it; the connection just closes
    }
    return alloc.buffer(NORMAL_CLOSURE.length).writeBytes(NORMAL_CLOSURE);
  }

  @Override
  public void closed() {
    watch.close();
  }
}
