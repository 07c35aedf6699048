package io.apilb.frontend.http2;

import io.apilb.proxy.ConnectionFacts;
import io.apilb.proxy.ProxyContext;
import io.apilb.proxy.ProxyExchange;
import io.apilb.proxy.ProxyFailure;
import io.apilb.proxy.StatusResponses;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.apilb.support.DrainEvent;
import io.apilb.support.Http2Connections;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.function.Supplier;

/**
 * Serves every HTTP/2 stream of one client connection from this one handler: a request's HEADERS
 * become the same HTTP/1 request object the HTTP/1.1 path sees and go to a fresh
 * {@link ProxyExchange} with an {@link Http2StreamClientSide}; its DATA follows as HTTP contents. No child channel, pipeline
 * or promise per stream: at tens of thousands of requests a second those cost more than the
 * proxying itself.
 *
 * <p>Backpressure is HTTP/2 flow control: request DATA is delivered at once but returned to the
 * client's window only when the exchange asks for more ({@link Http2StreamClientSide#read()}), so
 * a client can never have more than one window in flight per stream. Responses are written
 * through the encoder's flow controller, and an exchange reads its backend only while its stream
 * is writable. PINGs are answered by the decoder as they arrive, whatever the load.
 *
 * <p>On {@link DrainEvent} the connection sends GOAWAY(NO_ERROR) with the highest stream the
 * client opened: those finish, and clients such as client-go retry later ones elsewhere.
 */
public final class Http2FrontendHandler extends Http2ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Http2FrontendHandler.class);
  private final Supplier<ProxyContext> px;
  private final Http2Connection.PropertyKey streamKey;
  private ChannelHandlerContext ctx;
  private ConnectionFacts facts;
  private boolean goAwaySent;
  /** Streams whose HEADERS arrived in the current read: their exchanges start when it completes. */
  private final ArrayList<Http2StreamClientSide> starting = new ArrayList<>();
  private final ResetGuard resets = new ResetGuard();
  /** The stream window our SETTINGS announce. */
  private final int streamWindow;

  private Http2FrontendHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      Supplier<ProxyContext> px) {
    super(decoder, encoder, settings);
    this.px = px;
    Integer window = settings.initialWindowSize();
    this.streamWindow = window == null ? Http2CodecUtil.DEFAULT_WINDOW_SIZE : window;
    this.streamKey = connection().newKey();
    decoder.frameListener(new FrameListener());
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        Http2StreamClientSide s = stream.removeProperty(streamKey);
        if (s != null) {
          s.closed();
        }
      }
    });
    encoder.flowController().listener(new Http2RemoteFlowController.Listener() {
      @Override
      public void writabilityChanged(Http2Stream stream) {
        Http2StreamClientSide s = stream.getProperty(streamKey);
        if (s != null) {
          s.resumeIfWritable();
        }
      }
    });
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
    // SETTINGS sizes stream windows only; the connection window starts at 64 KiB and would
    // throttle every upload on the connection to that per round trip. Two stream windows.
    int grow = 2 * streamWindow - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    if (grow > 0) {
      connection().local().flowController().incrementWindowSize(connection().connectionStream(), grow);
      flush(ctx);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    super.channelWritabilityChanged(ctx); // the flow controller's own notifications first
    if (ctx.channel().isWritable()) {
      resumeWaitingStreams("the connection became writable");
    }
  }

  /**
   * Resumes every exchange waiting for its stream to become writable that now is. The flow
   * controller notifies edges only, comparing with a writability it marked earlier, and it learns
   * of the channel's writability from the writability events. Those can fire later than the
   * change (TLS's queue of unencrypted writes updates writability that way): an exchange that saw
   * the channel unwritable for a moment may wait for an edge the flow controller never saw, since
   * by the time it looks the channel is writable again and nothing differs from its mark. Measured:
   * two responses in a few thousand stalled until the request timeout under multiplexed load. This
   * level-triggered pass on the connection's own signals (channel writable, connection window
   * opened) costs one walk over the active streams and closes that gap.
   */
  void resumeWaitingStreams(String why) {
    try {
      connection().forEachActiveStream(stream -> {
        resumeIfWaiting(stream, why);
        return true;
      });
    } catch (Http2Exception e) {
      onError(ctx, false, e);
    }
  }

  /** Resumes {@code stream}'s exchange if it waits for a writability the stream now has. */
  private void resumeIfWaiting(Http2Stream stream, String why) {
    Http2StreamClientSide s = stream.getProperty(streamKey);
    if (s != null && s.resumeIfWritable()) {
      log.debug("stream {} resumed when {} (its writability edge was missed)", stream.id(), why);
    }
  }

  ChannelHandlerContext context() {
    return ctx;
  }

  /** Flushes the connection (frames of every stream written so far). */
  void flushConnection() {
    flush(ctx);
  }

  /** Resets one stream with {@code error} and flushes. */
  void resetStream(Http2Stream stream, Http2Error error) {
    if (stream.state() != Http2Stream.State.CLOSED) {
      resetStream(ctx, stream.id(), error.code(), ctx.newPromise());
      flush(ctx);
    }
  }

  /** Returns {@code bytes} of a stream's request DATA to the client's window, flushing the WINDOW_UPDATE. */
  void consumeBytes(Http2Stream stream, int bytes) {
    try {
      // the WINDOW_UPDATE must go out now: this may run on a backend event, outside any client
      // read whose completion would flush it
      if (decoder().flowController().consumeBytes(stream, bytes)) {
        flush(ctx);
      }
    } catch (Http2Exception e) {
      onError(ctx, false, e);
    }
  }

  /** Starts the exchanges of the streams opened in this read (those not reset meanwhile), then flushes. */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    for (int i = 0; i < starting.size(); i++) {
      Http2StreamClientSide s = starting.get(i);
      try {
        s.start(px);
      } catch (RuntimeException e) {
        resetStream(s.stream(), Http2Error.INTERNAL_ERROR); // a failing exchange ends its own stream only
      }
    }
    starting.clear();
    super.channelReadComplete(ctx);
  }

  /** A client that resets its TCP connection is routine: counted and logged quietly, never up the pipeline. */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (cause instanceof java.io.IOException) {
      px.get().metrics().clientError("reset");
      log.debug("HTTP/2 client {} went away: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
      return;
    }
    super.exceptionCaught(ctx, cause);
  }

  /**
   * A request whose header list exceeds our limit: 431 with a Kubernetes Status body, as on
   * HTTP/1.1 (Netty's default sends a bare 431).
   */
  @Override
  protected void handleServerHeaderDecodeSizeError(ChannelHandlerContext ctx, Http2Stream stream) {
    FullHttpResponse r = StatusResponses.failure(ctx.alloc(), ProxyFailure.HEADERS_TOO_LARGE, "request headers too large");
    Http2Headers headers = new DefaultHttp2Headers().status(r.status().codeAsText());
    r.headers().forEach(h -> headers.add(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
    encoder().writeHeaders(ctx, stream.id(), headers, 0, false, ctx.newPromise());
    encoder().writeData(ctx, stream.id(), r.content(), 0, true, ctx.newPromise());
    flush(ctx); // out before the stream reset that follows, which would cancel queued DATA
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof DrainEvent) {
      if (!goAwaySent) {
        goAwaySent = true;
        goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
            ctx.newPromise());
        flush(ctx);
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  /** The request-body-idle timeout fired for {@code stream}: its exchange decides (short requests only). */
  boolean requestBodyIdle(Http2Stream stream, long idleSeconds) {
    Http2StreamClientSide s = stream.getProperty(streamKey);
    return s != null && s.exchange() != null && s.exchange().onRequestBodyIdle(idleSeconds);
  }

  private final class FrameListener extends Http2FrameAdapter {
    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endStream) throws Http2Exception {
      onHeadersRead(ctx, streamId, headers, padding, endStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
        boolean endStream) throws Http2Exception {
      Http2Stream stream = connection().stream(streamId);
      if (stream == null) {
        return;
      }
      Http2StreamClientSide existing = stream.getProperty(streamKey);
      if (existing != null) {
        // trailers from the client: the request ends here (apiservers take no request trailers)
        if (endStream) {
          deliver(streamId, existing, LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return;
      }
      // a malformed request ends its own stream (a stream error), never the client's connection
      HttpRequest request = Http2RequestHead.of(streamId, headers, endStream);
      if (facts == null) {
        facts = ConnectionFacts.of(ctx.channel(), true);
      }
      Http2StreamClientSide s = new Http2StreamClientSide(Http2FrontendHandler.this, stream, facts);
      stream.setProperty(streamKey, s);
      resets.streamOpened();
      s.deliver(request); // held until this read completes
      starting.add(s);
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
      // the flow controller has counted the increment already
      if (streamId == 0) {
        resumeWaitingStreams("the client opened the connection window");
      } else {
        Http2Stream stream = connection().stream(streamId);
        if (stream != null) {
          resumeIfWaiting(stream, "the client opened its window");
        }
      }
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) throws Http2Exception {
      Http2Stream stream = connection().stream(streamId);
      Http2StreamClientSide s = stream == null ? null : stream.getProperty(streamKey);
      if (s != null && !s.answered() && resets.prematureReset()) {
        px.get().metrics().clientError("rapid_reset");
        throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM,
            "%d streams were reset before an answer, half or more of those opened", ResetGuard.MIN_PREMATURE);
      }
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
        throws Http2Exception {
      Http2Stream stream = connection().stream(streamId);
      Http2StreamClientSide s = stream == null ? null : stream.getProperty(streamKey);
      int bytes = data.readableBytes() + padding;
      if (s == null) {
        return bytes; // nobody wants it: straight back to the window
      }
      HttpContent content = endOfStream ? new DefaultLastHttpContent(data.retain())
          : new DefaultHttpContent(data.retain());
      if (endOfStream) {
        // the stream's window no longer matters; the connection's does: return it all now
        int all = bytes + s.takeUnconsumed();
        deliver(streamId, s, content);
        return all;
      }
      s.unconsumed(bytes);
      deliver(streamId, s, content);
      return 0;
    }

    /** Hands a message to the stream's exchange; a failure there resets that stream only. */
    private void deliver(int streamId, Http2StreamClientSide s, Object msg) throws Http2Exception {
      try {
        s.deliver(msg);
      } catch (RuntimeException e) {
        throw Http2Exception.streamError(streamId, Http2Error.INTERNAL_ERROR, e, "exchange failed: %s", e.getMessage());
      }
    }
  }

  /** Builds the handler with apilb's settings (the builder's options are protected). */
  public static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2FrontendHandler, Builder> {
    private final Supplier<ProxyContext> px;

    public Builder(Supplier<ProxyContext> px, Http2Settings settings) {
      this.px = px;
      connection(Http2Connections.withEqualTurns(true));
      initialSettings(settings);
      autoAckPingFrame(true);
      validateHeaders(true);
      // Rapid-reset protection, loosened: client-go cancels a stream for every stopped watch and
      // timed-out request, and Netty's default (200 RST_STREAMs per 30 s) closed busy but honest
      // client connections in the failover benchmark.
      decoderEnforceMaxRstFramesPerWindow(2000, 10);
    }

    @Override
    public Http2FrontendHandler build() {
      return super.build();
    }

    @Override
    protected Http2FrontendHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
        Http2Settings initialSettings) {
      return new Http2FrontendHandler(decoder, encoder, initialSettings, px);
    }
  }
}
