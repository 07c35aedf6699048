package io.apilb.sim;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import java.util.function.Consumer;

/**
 * Optional HTTP/2 serving for {@link SimulatedApiserver} (ALPN {@code h2} preferred, like a real
 * kube-apiserver): each stream gets its own child channel with the same {@link ConnectionHandler}
 * as an HTTP/1.1 connection, behind Netty's HTTP/2-to-HTTP/1 object codec. A graceful stop sends
 * GOAWAY and lets open streams finish; an abrupt stop resets the TCP connection without GOAWAY.
 */
final class Http2Serving {
  /** How long a graceful close (GOAWAY) waits for open streams. */
  static final long GRACEFUL_CLOSE_MILLIS = 5_000;
  /** Go's {@code goAwayTimeout}: how long a connection stays open after GOAWAY once its streams are done. */
  static final long GO_AWAY_LINGER_MILLIS = 1_000;

  private Http2Serving() {}

  /**
   * The handler to put after TLS: on {@code h2}, the HTTP/2 pipeline; otherwise {@code http1}
   * configures the HTTP/1.1 pipeline on the channel.
   */
  static ChannelHandler negotiator(SimulatedApiserver server, Consumer<Channel> http1) {
    return new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
      @Override
      protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
          http1.accept(ctx.channel());
          return;
        }
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
            .initialSettings(Http2Settings.defaultSettings()
                .maxConcurrentStreams(server.http2Sessions().maxConcurrentStreams())
                .initialWindowSize(256 * 1024).maxFrameSize(256 * 1024))
            .gracefulShutdownTimeoutMillis(GRACEFUL_CLOSE_MILLIS)
            // Go's server (kube-apiserver's) does not close a connection for the RST_STREAMs it
            // receives (its Rapid Reset defence bounds concurrent handlers instead); Netty's
            // default (200 per 30 s) closed a shared connection, and every watch on it, when a
            // balancer cancelled its clients' watches en masse
            .decoderEnforceMaxRstFramesPerWindow(0, 0)
            .frameLogger(server.http2Sessions().resetCounter())
            .build();
        ctx.pipeline().addLast("h2", codec);
        server.http2Sessions().connectionOpened(ctx.channel());
        ctx.pipeline().addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
          @Override
          protected void initChannel(Http2StreamChannel stream) {
            if (!server.http2Sessions().streamOpened(stream)) {
              return;
            }
            server.openConnections().streamOpened(stream);
            stream.pipeline().addLast("http", new Http2StreamFrameToHttpObjectCodec(true));
            stream.pipeline().addLast("api", server.newConnectionHandler());
          }
        }));
        ctx.pipeline().addLast("h2-errors", new ChannelInboundHandlerAdapter() {
          @Override
          public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            c.close(); // e.g. the client reset the connection: nothing to report
          }
        });
      }
    };
  }

  /** Whether {@code ch} is a connection that negotiated HTTP/2. */
  static boolean isHttp2(Channel ch) {
    return ch.pipeline().get(Http2FrameCodec.class) != null;
  }

  /**
   * Go's graceful HTTP/2 shutdown, which kube-apiserver's is: GOAWAY(NO_ERROR) with the last
   * stream the server took, open streams finish, and only {@link #GO_AWAY_LINGER_MILLIS} after the
   * last one (Go's {@code goAwayTimeout}, 1 s) does the connection close. Closing at once instead
   * (Netty's own graceful close does) races the client's in-flight HEADERS: they reach a closed
   * socket, the kernel answers with a TCP RST, and the RST discards the GOAWAY the client had not
   * read yet, so a stream the server never saw looks lost, not refused. Call on the event loop.
   */
  static void goAway(Channel conn, long waitForStreamsMillis) {
    Http2FrameCodec codec = conn.pipeline().get(Http2FrameCodec.class);
    if (codec == null || !conn.isActive()) {
      conn.close();
      return;
    }
    if (!codec.connection().goAwaySent()) {
      conn.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame(
          io.netty.handler.codec.http2.Http2Error.NO_ERROR));
    }
    long giveUpAt = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(waitForStreamsMillis);
    lingerUntilStreamsEnd(conn, codec, giveUpAt);
  }

  private static void lingerUntilStreamsEnd(Channel conn, Http2FrameCodec codec, long giveUpAt) {
    if (!conn.isActive()) {
      return;
    }
    if (codec.connection().numActiveStreams() == 0 || System.nanoTime() - giveUpAt > 0) {
      conn.eventLoop().schedule(() -> {
        conn.close();
      }, GO_AWAY_LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
      return;
    }
    conn.eventLoop().schedule(() -> lingerUntilStreamsEnd(conn, codec, giveUpAt), 20,
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Closes the socket with SO_LINGER 0 without going through the pipeline (no GOAWAY, no TLS
   * close_notify): the peer sees a TCP RST, as when the process dies.
   */
  static ChannelFuture reset(Channel ch) {
    ChannelPromise done = ch.newPromise();
    ch.eventLoop().execute(() -> {
      try {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // already closed
      }
      ch.unsafe().close(done);
    });
    return done;
  }
}
