package io.apilb.frontend.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.proxy.ProxyContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The HTTP/2 connection handler on the wire: frames in, frames out, on an embedded channel. */
class Http2FrontendHandlerTest {
  private static final int STREAM_WINDOW = 1 << 20;

  /** Frames the handler wrote, as short strings ("RST 1 PROTOCOL_ERROR", "WINDOW_UPDATE 0 n", ...). */
  private static List<String> framesOut(EmbeddedChannel ch) throws Exception {
    List<String> frames = new ArrayList<>();
    ByteBuf all = Unpooled.buffer();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      all.writeBytes(b);
      b.release();
    }
    EmbeddedChannel reading = new EmbeddedChannel(new io.netty.channel.ChannelInboundHandlerAdapter());
    try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader()) {
      reader.readFrame(reading.pipeline().firstContext(), all, new Http2FrameAdapter() {
        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
          frames.add("RST " + streamId + " " + Http2Error.valueOf(errorCode));
        }

        @Override
        public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int increment) {
          frames.add("WINDOW_UPDATE " + streamId + " " + increment);
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
          frames.add("GOAWAY " + Http2Error.valueOf(errorCode));
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
          frames.add("SETTINGS");
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
            boolean endOfStream) {
          frames.add("HEADERS " + streamId + " " + headers.status() + (endOfStream ? " END" : ""));
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
          frames.add("DATA " + streamId + " " + data.toString(java.nio.charset.StandardCharsets.UTF_8)
              + (endOfStream ? " END" : ""));
          return 0;
        }
      });
    } finally {
      all.release();
      reading.finishAndReleaseAll();
    }
    return frames;
  }

  private static ByteBuf clientFrames(java.util.function.BiConsumer<DefaultHttp2FrameWriter, ByteBufCollector> frames) {
    ByteBufCollector out = new ByteBufCollector();
    out.buf.writeBytes(Http2CodecUtil.connectionPrefaceBuf());
    DefaultHttp2FrameWriter w = new DefaultHttp2FrameWriter();
    frames.accept(w, out);
    w.close();
    return out.buf;
  }

  /** Captures what a frame writer writes through an embedded context. */
  private static final class ByteBufCollector {
    final ByteBuf buf = Unpooled.buffer();
    final EmbeddedChannel sink = new EmbeddedChannel();

    void write(java.util.function.Function<ChannelHandlerContext, Object> writeOp) {
      ChannelHandlerContext ctx = sink.pipeline().firstContext() != null ? sink.pipeline().firstContext()
          : sink.pipeline().addLast(new io.netty.channel.ChannelOutboundHandlerAdapter()).firstContext();
      writeOp.apply(ctx);
      sink.flushOutbound();
      ByteBuf b;
      while ((b = sink.readOutbound()) != null) {
        buf.writeBytes(b);
        b.release();
      }
    }
  }

  private static Http2Headers request(String method, String path) {
    Http2Headers h = new DefaultHttp2Headers().method(method).scheme("https").authority("apilb");
    if (path != null) {
      h.path(path);
    }
    return h;
  }

  private static EmbeddedChannel newConnection(java.util.function.Supplier<ProxyContext> px) {
    Http2Settings settings = Http2Settings.defaultSettings().maxConcurrentStreams(250).initialWindowSize(STREAM_WINDOW);
    return new EmbeddedChannel(new Http2FrontendHandler.Builder(px, settings).build());
  }

  @Test
  void opensTheConnectionWindowToTwoStreamWindows() throws Exception {
    EmbeddedChannel ch = newConnection(() -> null);
    assertThat(framesOut(ch)).contains("WINDOW_UPDATE 0 " + (2 * STREAM_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE));
    ch.finishAndReleaseAll();
  }

  @Test
  void aControlCharacterInAFieldValueResetsItsStreamOnly() throws Exception {
    EmbeddedChannel ch = newConnection(() -> null);
    framesOut(ch);
    ch.writeInbound(clientFrames((w, out) -> {
      out.write(ctx -> w.writeSettings(ctx, new Http2Settings(), ctx.newPromise()));
      out.write(ctx -> w.writeHeaders(ctx, 1, new DefaultHttp2Headers(false).method("GET").scheme("https").authority("apilb")
          .path("/api").add("x-note", "a\r\nx-remote-user: admin"), 0,
          true, ctx.newPromise()));
    }));
    List<String> frames = framesOut(ch);
    assertThat(frames).contains("RST 1 PROTOCOL_ERROR");
    assertThat(frames).noneMatch(f -> f.startsWith("GOAWAY"));
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void aMalformedRequestOrAFailingExchangeResetsOnlyItsStream() throws Exception {
    EmbeddedChannel ch = newConnection(() -> null); // no proxy context: every exchange fails
    framesOut(ch);
    ch.writeInbound(clientFrames((w, out) -> {
      out.write(ctx -> w.writeSettings(ctx, new Http2Settings(), ctx.newPromise()));
      // no :path: HTTP/1 conversion fails
      out.write(ctx -> w.writeHeaders(ctx, 1, request("GET", null), 0, true, ctx.newPromise()));
      // a well-formed request whose exchange throws
      out.write(ctx -> w.writeHeaders(ctx, 3, request("GET", "/api"), 0, true, ctx.newPromise()));
    }));
    List<String> frames = framesOut(ch);
    assertThat(frames).contains("RST 1 PROTOCOL_ERROR", "RST 3 INTERNAL_ERROR");
    assertThat(frames).noneMatch(f -> f.startsWith("GOAWAY"));
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }

  /** Every exchange records that it started; none gets further (no backends in this context). */
  private static java.util.function.Supplier<ProxyContext> countingStarts(java.util.concurrent.atomic.AtomicInteger n) {
    return () -> {
      n.incrementAndGet();
      throw new IllegalStateException("no proxy in this test");
    };
  }

  @Test
  void aStreamResetInTheSameReadAsItsHeadersNeverStartsAnExchange() throws Exception {
    java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
    EmbeddedChannel ch = newConnection(countingStarts(started));
    framesOut(ch);
    ch.writeInbound(clientFrames((w, out) -> {
      out.write(ctx -> w.writeSettings(ctx, new Http2Settings(), ctx.newPromise()));
      out.write(ctx -> w.writeHeaders(ctx, 1, request("GET", "/api/v1/pods"), 0, true, ctx.newPromise()));
      out.write(ctx -> w.writeRstStream(ctx, 1, Http2Error.CANCEL.code(), ctx.newPromise()));
      out.write(ctx -> w.writeHeaders(ctx, 3, request("GET", "/api/v1/pods"), 0, true, ctx.newPromise()));
    }));

    assertThat(started).as("only the stream still open starts an exchange").hasValue(1);
    ch.finishAndReleaseAll();
  }

  @Test
  void aClientResettingMostStreamsBeforeAnAnswerIsToldToCalmDown() throws Exception {
    io.apilb.testing.ProxyFixture f = io.apilb.testing.ProxyFixture.create("");
    EmbeddedChannel ch = newConnection(() -> f.context);
    framesOut(ch);
    ch.writeInbound(clientFrames((w, out) -> out.write(ctx -> w.writeSettings(ctx, new Http2Settings(),
        ctx.newPromise()))));
    List<String> frames = new ArrayList<>();
    for (int i = 0; i < ResetGuard.MIN_PREMATURE && ch.isActive(); i++) {
      int id = 2 * i + 1;
      ByteBuf b = clientFrames((w, out) -> {
        out.write(ctx -> w.writeHeaders(ctx, id, request("GET", "/api/v1/pods"), 0, true, ctx.newPromise()));
        out.write(ctx -> w.writeRstStream(ctx, id, Http2Error.CANCEL.code(), ctx.newPromise()));
      });
      b.skipBytes(Http2CodecUtil.connectionPrefaceBuf().readableBytes());
      ch.writeInbound(b);
      frames.addAll(framesOut(ch));
    }

    assertThat(frames).contains("GOAWAY ENHANCE_YOUR_CALM");
    assertThat(ch.isActive()).isFalse();
    assertThat(f.connector.requests()).as("no reset stream cost a backend request").isEmpty();
    assertThat(f.counter("apilb.listener.client_errors.rapid_reset")).isEqualTo(1);
    ch.finishAndReleaseAll();
  }

  @Test
  void anOversizedHeaderListGets431WithAStatusBody() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2FrontendHandler.Builder(() -> null,
        Http2Settings.defaultSettings().maxHeaderListSize(1024).initialWindowSize(STREAM_WINDOW)).build());
    framesOut(ch);
    // over the 1 KiB limit but under the 1.25 KiB where Netty ends the connection instead
    Http2Headers big = request("GET", "/api/v1/pods").add("x-filler", "f".repeat(1100));
    ch.writeInbound(clientFrames((w, out) -> {
      out.write(ctx -> w.writeSettings(ctx, new Http2Settings(), ctx.newPromise()));
      out.write(ctx -> w.writeHeaders(ctx, 1, big, 0, true, ctx.newPromise()));
    }));

    List<String> frames = framesOut(ch);
    assertThat(frames).contains("HEADERS 1 431");
    assertThat(frames).anyMatch(f -> f.startsWith("DATA 1 {\"kind\":\"Status\"") && f.contains("\"code\":431"));
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }
}
