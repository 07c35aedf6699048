package io.apilb.passthrough;

import io.apilb.backend.BackendEntry;
import io.apilb.support.Channels;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The backend side of a passed-through connection: relays to the client, reading on after each write. */
final class PassthroughBackendHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PassthroughBackendHandler.class);

  private final Channel client;
  private final BackendEntry backend;

  PassthroughBackendHandler(Channel client, BackendEntry backend) {
    this.client = client;
    this.backend = backend;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    client.writeAndFlush(msg).addListener(w -> {
      if (w.isSuccess()) {
        ctx.channel().read();
      } else {
        ctx.close();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Channels.closeOnFlush(client);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("passthrough backend {}: {}", backend.name(), cause.toString());
    Channels.closeOnFlush(ctx.channel());
  }
}
