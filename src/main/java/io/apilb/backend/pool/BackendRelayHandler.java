package io.apilb.backend.pool;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of every backend connection. While a connection serves an attempt it hands every
 * message and event to that attempt's {@link BackendAttempt.Listener}; while it idles in the pool any input is
 * unexpected, so the connection is closed. No field is volatile: the exchange and this channel
 * share one event loop.
 */
final class BackendRelayHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(BackendRelayHandler.class);

  private BackendAttempt.Listener listener;

  void attach(BackendAttempt.Listener l) {
    this.listener = l;
  }

  void detach() {
    this.listener = null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    BackendAttempt.Listener l = listener;
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
    BackendAttempt.Listener l = listener;
    if (l != null) {
      l.onBackendReadComplete();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    BackendAttempt.Listener l = listener;
    listener = null;
    if (l != null) {
      l.onBackendInactive();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    BackendAttempt.Listener l = listener;
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
