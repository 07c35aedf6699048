package io.apilb.frontend;

import io.apilb.support.DrainEvent;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;

/**
 * On {@link DrainEvent}, sends GOAWAY(NO_ERROR) through the frame codec, which fills in the
 * highest stream id the client opened: streams up to it finish, and clients such as client-go
 * retry later ones on a new connection without the user noticing.
 */
final class Http2GoAwayOnDrainHandler extends ChannelInboundHandlerAdapter {
  private boolean sent;

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof DrainEvent && !sent) {
      sent = true;
      ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
      return;
    }
    super.userEventTriggered(ctx, evt);
  }
}
