package io.apilb.frontend;

import io.apilb.proxy.ClientExchangeHandler;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.HandlerNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.util.function.Supplier;

/**
 * One HTTP/2 stream's child pipeline: frames become the same HTTP/1 objects the HTTP/1.1 path
 * sees, so the proxy core has a single code path. No flow-control handler: a stream carries one
 * request, and the exchange queues body frames that arrive while it connects.
 */
final class Http2StreamInitializer extends ChannelInitializer<Channel> {
  private final Supplier<ProxyContext> px;

  Http2StreamInitializer(Supplier<ProxyContext> px) {
    this.px = px;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.config().setAutoRead(false);
    ch.pipeline()
        .addLast(HandlerNames.HTTP2_TO_HTTP1, new Http2StreamFrameToHttpObjectCodec(true, true))
        .addLast(HandlerNames.EXCHANGE, new ClientExchangeHandler(px, true));
  }
}
