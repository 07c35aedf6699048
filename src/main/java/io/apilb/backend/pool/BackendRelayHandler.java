package io.apilb.backend.pool;

import io.apilb.support.HttpMessageKinds;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponse;
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
  private boolean skippingInterim;

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
    if (interim(msg)) {
      ReferenceCountUtil.release(msg);
      ctx.read(); // the final response is still to come
      return;
    }
    l.onBackendMessage(msg);
  }

  /**
   * An interim (1xx) response other than 101, or its empty end: hop-by-hop, never relayed. apilb
   * answers 100 Continue itself and does not forward Expect; 103 Early Hints has no HTTP/2 use here.
   */
  private boolean interim(Object msg) {
    HttpResponse r = HttpMessageKinds.asResponse(msg); // exact classes first: see HttpMessageKinds
    if (r != null) {
      int code = r.status().code();
      skippingInterim = code / 100 == 1 && code != 101;
      return skippingInterim;
    }
    if (skippingInterim && HttpMessageKinds.asContent(msg) != null) {
      skippingInterim = !HttpMessageKinds.isLast(msg);
      return true;
    }
    return false;
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
