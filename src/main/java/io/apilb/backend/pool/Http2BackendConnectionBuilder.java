package io.apilb.backend.pool;

import io.apilb.support.Http2Connections;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * Builds the client side of a multiplexed backend connection: no server push, each stream's
 * window {@link Http2BackendConnection#STREAM_WINDOW}, headers validated, and no grace period on
 * close (apilb closes a backend connection only when it has no stream left, or it is dead).
 */
final class Http2BackendConnectionBuilder
    extends AbstractHttp2ConnectionHandlerBuilder<Http2BackendConnection, Http2BackendConnectionBuilder> {
  Http2BackendConnectionBuilder(int maxHeaderListSize) {
    connection(Http2Connections.withEqualTurns(false));
    initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
        .initialWindowSize(Http2BackendConnection.STREAM_WINDOW).maxHeaderListSize(maxHeaderListSize));
    validateHeaders(true);
    gracefulShutdownTimeoutMillis(0);
  }

  @Override
  protected Http2BackendConnection build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
      Http2Settings initialSettings) {
    return new Http2BackendConnection(decoder, encoder, initialSettings);
  }

  @Override
  public Http2BackendConnection build() {
    return super.build();
  }

  /**
   * The client side. The connection passed in says so to the codec, but the builder's own flag
   * would be unset, and Netty's builder reads an unset flag as "server": it would then put its
   * server-side RST_STREAM flood limits (200 per 30 s) on this connection, and an apiserver that
   * rejects many requests under load (each POST refused before its body is read ends with an
   * RST_STREAM) would get its shared connection, and every watch on it, closed.
   */
  @Override
  protected boolean isServer() {
    return false;
  }
}
