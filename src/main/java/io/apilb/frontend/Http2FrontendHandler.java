package io.apilb.frontend;

import io.apilb.proxy.ClientExchangeHandler;
import io.apilb.proxy.Http2ClientStream;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.DrainEvent;
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
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.function.Supplier;

/**
 * Serves every HTTP/2 stream of one client connection from this one handler: a request's HEADERS
 * become the same HTTP/1 request object the HTTP/1.1 path sees and go to a fresh
 * {@link ClientExchangeHandler}; its DATA follows as HTTP contents. No child channel, pipeline
 * or promise per stream: at tens of thousands of requests a second those cost more than the
 * proxying itself.
 *
 * <p>Backpressure is HTTP/2 flow control: request DATA is delivered at once but returned to the
 * client's window only when the exchange asks for more ({@link Http2ClientStream#read()}), so
 * a client can never have more than one window in flight per stream. Responses are written
 * through the encoder's flow controller, and an exchange reads its backend only while its stream
 * is writable. PINGs are answered by the decoder as they arrive, whatever the load.
 *
 * <p>On {@link DrainEvent} the connection sends GOAWAY(NO_ERROR) with the highest stream the
 * client opened: those finish, and clients such as client-go retry later ones elsewhere.
 */
final class Http2FrontendHandler extends Http2ConnectionHandler {
  private final Supplier<ProxyContext> px;
  private final Http2Connection.PropertyKey streamKey;
  private ChannelHandlerContext ctx;
  private boolean goAwaySent;
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
        StreamState s = stream.removeProperty(streamKey);
        if (s != null) {
          s.closed = true;
          s.exchange.onClientInactive();
        }
      }
    });
    encoder.flowController().listener(new Http2RemoteFlowController.Listener() {
      @Override
      public void writabilityChanged(Http2Stream stream) {
        StreamState s = stream.getProperty(streamKey);
        if (s != null) {
          s.exchange.onClientWritabilityChanged();
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

  /** The per-stream state: the exchange, and request bytes not yet returned to the window. */
  private final class StreamState implements Http2ClientStream {
    final Http2Stream stream;
    ClientExchangeHandler exchange;
    int unconsumed;
    boolean closed;
    /** The write that ends our response, so a reset can wait for it. */
    ChannelPromise endWrite;

    StreamState(Http2Stream stream) {
      this.stream = stream;
    }

    @Override
    public Channel connection() {
      return ctx.channel();
    }

    @Override
    public boolean isOpen() {
      return !closed && ctx.channel().isActive();
    }

    @Override
    public boolean isWritable() {
      return !closed && encoder().flowController().isWritable(stream);
    }

    /**
     * Our side of the stream is still open. The encoder treats HEADERS on a stream we already
     * ended as a connection error, which would end every other stream of the client.
     */
    private boolean canSend() {
      Http2Stream.State st = stream.state();
      return st == Http2Stream.State.OPEN || st == Http2Stream.State.HALF_CLOSED_REMOTE;
    }

    /** A real promise for the write that ends the stream (the one a later reset must follow). */
    private ChannelPromise promiseFor(boolean endStream) {
      if (!endStream) {
        return ctx.voidPromise();
      }
      endWrite = ctx.newPromise();
      return endWrite;
    }

    @Override
    public void read() {
      if (unconsumed > 0 && !closed) {
        int n = unconsumed;
        unconsumed = 0;
        try {
          // the WINDOW_UPDATE must go out now: this may run on a backend event, outside any
          // client read whose completion would flush it
          if (decoder().flowController().consumeBytes(stream, n)) {
            Http2FrontendHandler.this.flush(ctx);
          }
        } catch (Http2Exception e) {
          onError(ctx, false, e);
        }
      }
    }

    @Override
    public void writeHeaders(Http2Headers headers, boolean endStream) {
      if (canSend()) {
        encoder().writeHeaders(ctx, stream.id(), headers, 0, endStream, promiseFor(endStream));
      }
    }

    @Override
    public void writeContent(HttpContent content) {
      if (!canSend()) {
        content.release();
        return;
      }
      boolean last = content instanceof LastHttpContent;
      Http2Headers trailers = null;
      if (last && !((LastHttpContent) content).trailingHeaders().isEmpty()) {
        try {
          trailers = HttpConversionUtil.toHttp2Headers(((LastHttpContent) content).trailingHeaders(), false);
        } catch (RuntimeException e) {
          content.release();
          reset();
          return;
        }
      }
      ByteBuf data = content.content();
      boolean endWithData = last && trailers == null;
      if (data.isReadable() || endWithData) {
        encoder().writeData(ctx, stream.id(), data, 0, endWithData, promiseFor(endWithData));
      } else {
        data.release();
      }
      if (trailers != null) {
        encoder().writeHeaders(ctx, stream.id(), trailers, 0, true, promiseFor(true));
      }
    }

    @Override
    public void writeResponse(FullHttpResponse response) {
      Http2Headers headers;
      try {
        headers = HttpConversionUtil.toHttp2Headers(response, false);
      } catch (RuntimeException e) {
        response.release();
        reset();
        return;
      }
      boolean hasBody = response.content().isReadable();
      writeHeaders(headers, !hasBody);
      if (hasBody) {
        writeContent(new DefaultLastHttpContent(response.content())); // takes the reference
      } else {
        response.release();
      }
    }

    @Override
    public void flush() {
      Http2FrontendHandler.this.flush(ctx);
    }

    @Override
    public void reset() {
      resetWith(Http2Error.CANCEL);
    }

    @Override
    public void stopRequestBody() {
      ChannelPromise end = endWrite;
      if (end == null || end.isDone()) {
        resetWith(Http2Error.NO_ERROR);
      } else {
        // queued DATA (an exhausted window) would be cancelled by a reset sent now
        end.addListener(f -> resetWith(Http2Error.NO_ERROR));
      }
    }

    private void resetWith(Http2Error error) {
      if (stream.state() != Http2Stream.State.CLOSED) {
        resetStream(ctx, stream.id(), error.code(), ctx.newPromise());
        Http2FrontendHandler.this.flush(ctx);
      }
    }
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
      StreamState existing = stream.getProperty(streamKey);
      if (existing != null) {
        // trailers from the client: the request ends here (apiservers take no request trailers)
        if (endStream) {
          existing.exchange.onClientMessage(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return;
      }
      HttpRequest request;
      try {
        request = endStream
            ? HttpConversionUtil.toFullHttpRequest(streamId, headers, Unpooled.EMPTY_BUFFER, true)
            : HttpConversionUtil.toHttpRequest(streamId, headers, true);
      } catch (Http2Exception.StreamException e) {
        throw e;
      } catch (Exception e) {
        // a malformed request ends its own stream, never the client's connection
        throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, e, "malformed request: %s", e.getMessage());
      }
      StreamState s = new StreamState(stream);
      s.exchange = new ClientExchangeHandler(px, s);
      stream.setProperty(streamKey, s);
      deliver(streamId, s, request);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
        throws Http2Exception {
      Http2Stream stream = connection().stream(streamId);
      StreamState s = stream == null ? null : stream.getProperty(streamKey);
      int bytes = data.readableBytes() + padding;
      if (s == null) {
        return bytes; // nobody wants it: straight back to the window
      }
      HttpContent content = endOfStream ? new DefaultLastHttpContent(data.retain())
          : new DefaultHttpContent(data.retain());
      if (endOfStream) {
        // the stream's window no longer matters; the connection's does: return it all now
        int all = bytes + s.unconsumed;
        s.unconsumed = 0;
        deliver(streamId, s, content);
        return all;
      }
      s.unconsumed += bytes;
      deliver(streamId, s, content);
      return 0;
    }

    /** Hands a message to the stream's exchange; a failure there resets that stream only. */
    private void deliver(int streamId, StreamState s, Object msg) throws Http2Exception {
      try {
        s.exchange.onClientMessage(msg);
      } catch (RuntimeException e) {
        throw Http2Exception.streamError(streamId, Http2Error.INTERNAL_ERROR, e, "exchange failed: %s", e.getMessage());
      }
    }
  }

  /** Builds the handler with apilb's settings (the builder's options are protected). */
  static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2FrontendHandler, Builder> {
    private final Supplier<ProxyContext> px;

    Builder(Supplier<ProxyContext> px, Http2Settings settings) {
      this.px = px;
      server(true);
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
