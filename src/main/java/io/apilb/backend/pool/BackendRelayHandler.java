package io.apilb.backend.pool;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of every backend connection. While a connection serves an exchange it hands every
 * message and event to that exchange's {@link Listener}; while it idles in the pool any input is
 * unexpected, so the connection is closed. No field is volatile: the exchange and this channel
 * share one event loop.
 */
public final class BackendRelayHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(BackendRelayHandler.class);

  /** What an exchange receives from its backend connection, on the connection's event loop. */
  public interface Listener {
    /** A response head or content; the listener owns (and must release) {@code msg}. */
    void onBackendMessage(Object msg);

    void onBackendInactive();

    void onBackendWritabilityChanged(boolean writable);

    /** A read from the backend is complete: flush what was relayed, once per read. */
    void onBackendReadComplete();
  }

  private Listener listener;

  public void attach(Listener l) {
    this.listener = l;
  }

  public void detach() {
    this.listener = null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Listener l = listener;
    if (l == null) {
      ReferenceCountUtil.release(msg);
      log.debug("unexpected data on idle backend connection {}, closing", ctx.channel());
      ctx.close();
      return;
    }
    l.onBackendMessage(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Listener l = listener;
    if (l != null) {
      l.onBackendReadComplete();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Listener l = listener;
    listener = null;
    if (l != null) {
      l.onBackendInactive();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Listener l = listener;
    if (l != null) {
      l.onBackendWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("backend connection {} failed: {}", ctx.channel(), cause.toString());
    ctx.close();
  }
}
