package io.apilb.backend.pool;

import io.apilb.backend.Backend;
import io.apilb.support.HandlerNames;
import io.apilb.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;

/**
 * Backend connection pipeline: {@code tls → http-client-codec → relay}. HTTP/1.1 only: upgrades
 * require it, and anonymous HTTP/2 requests make kube-apiserver close the connection.
 */
final class BackendChannelInitializer extends ChannelInitializer<Channel> {

  private final SslContext sslContext;
  private final Backend backend;
  private final int maxHeaderSize;

  BackendChannelInitializer(SslContext sslContext, Backend backend, int maxHeaderSize) {
    this.sslContext = sslContext;
    this.backend = backend;
    this.maxHeaderSize = maxHeaderSize;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline().addLast(HandlerNames.BACKEND_TLS,
        TlsContexts.newBackendHandler(sslContext, ch.alloc(), backend.verifiedName(), backend.port()));
    addHttp1Handlers(ch.pipeline(), maxHeaderSize);
  }

  /** The HTTP/1.1 part of the pipeline, after TLS: also for connections that offered h2 and got HTTP/1.1. */
  static void addHttp1Handlers(ChannelPipeline pipeline, int maxHeaderSize) {
    pipeline
        .addLast(HandlerNames.BACKEND_HTTP_CODEC, new HttpClientCodec(
            new HttpDecoderConfig().setMaxHeaderSize(Math.max(maxHeaderSize, 65536)).setMaxChunkSize(65536),
            false, false))
        .addLast(HandlerNames.BACKEND_RELAY, new BackendRelayHandler());
  }
}
