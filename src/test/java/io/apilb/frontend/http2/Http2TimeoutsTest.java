package io.apilb.frontend.http2;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.FakeBackendAttempt.content;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.config.ListenerTimeouts;
import io.apilb.support.HandlerNames;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.ProxyFixture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * apilb.listener.timeouts on an HTTP/2 connection (header 10 s, idle 90 s, body idle 30 s), on an
 * embedded channel whose clock the test moves: frames in, frames out.
 */
class Http2TimeoutsTest {
  private final ProxyFixture f = ProxyFixture.create();
  private EmbeddedChannel ch;
  private final List<String> out = new ArrayList<>();

  @BeforeEach
  void connect() {
    Http2Settings settings = Http2Settings.defaultSettings().maxConcurrentStreams(250).initialWindowSize(1 << 20);
    ch = new EmbeddedChannel();
    ch.pipeline().addLast(HandlerNames.HTTP2_STREAMS, new Http2FrontendHandler.Builder(() -> f.context, settings).build());
    ch.pipeline().addBefore(HandlerNames.HTTP2_STREAMS, HandlerNames.HTTP2_TIMEOUTS,
        new Http2Timeouts(ListenerTimeouts.DEFAULTS, f.metrics));
    send((w, c) -> w.writeSettings(c, new Http2Settings(), c.newPromise()), true);
  }

  @AfterEach
  void tearDown() {
    ch.finishAndReleaseAll();
    f.connector.releaseAll();
  }

  private void advance(long seconds) {
    ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    ch.runPendingTasks();
  }

  private long timeouts(String kind) {
    return f.counter("apilb.listener.timeouts." + kind);
  }

  /** Writes client frames (the preface first when {@code preface}). */
  private void send(BiConsumer<DefaultHttp2FrameWriter, ChannelHandlerContext> frames, boolean preface) {
    EmbeddedChannel sink = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
    ByteBuf buf = Unpooled.buffer();
    if (preface) {
      buf.writeBytes(Http2CodecUtil.connectionPrefaceBuf());
    }
    try (DefaultHttp2FrameWriter w = new DefaultHttp2FrameWriter()) {
      frames.accept(w, sink.pipeline().firstContext());
    }
    sink.flushOutbound();
    ByteBuf b;
    while ((b = sink.readOutbound()) != null) {
      buf.writeBytes(b);
      b.release();
    }
    sink.finishAndReleaseAll();
    ch.writeInbound(buf);
  }

  private void headers(int stream, String method, String path, boolean endStream) {
    Http2Headers h = new DefaultHttp2Headers().method(method).scheme("https").authority("apilb").path(path);
    send((w, c) -> w.writeHeaders(c, stream, h, 0, endStream, c.newPromise()), false);
  }

  private void data(int stream, String text, boolean endStream) {
    ByteBuf d = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    send((w, c) -> w.writeData(c, stream, d, 0, endStream, c.newPromise()), false);
  }

  /** Frames apilb wrote since the last call: "GOAWAY NO_ERROR", "HEADERS 1 408", "RST 1 NO_ERROR", ... */
  private List<String> framesOut() throws Exception {
    ByteBuf all = Unpooled.buffer();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      all.writeBytes(b);
      b.release();
    }
    List<String> frames = new ArrayList<>();
    try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader()) {
      while (all.isReadable()) {
        reader.readFrame(ch.pipeline().firstContext(), all, new Http2FrameAdapter() {
          @Override
          public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int padding,
              boolean endStream) {
            frames.add("HEADERS " + streamId + " " + headers.status());
          }

          @Override
          public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
            frames.add("RST " + streamId + " " + Http2Error.valueOf(errorCode));
          }

          @Override
          public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
            frames.add("GOAWAY " + Http2Error.valueOf(errorCode));
          }
        });
      }
    } finally {
      all.release();
    }
    out.addAll(frames);
    return frames;
  }

  @Test
  void aConnectionWithoutAnyHeadersIsEndedAfterTheHeaderTimeout() throws Exception {
    advance(9);
    assertThat(ch.isActive()).isTrue();

    advance(2);

    assertThat(framesOut()).contains("GOAWAY NO_ERROR");
    assertThat(ch.isActive()).isFalse();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void aHeaderBlockThatNeverEndsIsEndedAfterTheHeaderTimeout() throws Exception {
    headers(1, "GET", "/api/v1/pods", true);
    f.connector.last().respond(head(200, "Content-Length: 2"), "{}");
    advance(30);
    // HEADERS without END_HEADERS, and no CONTINUATION ever
    ByteBuf block = Unpooled.buffer();
    new DefaultHttp2HeadersEncoder().encodeHeaders(3,
        new DefaultHttp2Headers().method("GET").scheme("https").authority("apilb").path("/api"), block);
    ByteBuf frame = Unpooled.buffer();
    frame.writeMedium(block.readableBytes()).writeByte(0x1).writeByte(0x1).writeInt(3).writeBytes(block);
    block.release();
    ch.writeInbound(frame);
    advance(9);
    assertThat(ch.isActive()).isTrue();

    advance(2);

    assertThat(ch.isActive()).isFalse();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void aConnectionWithNoStreamOpenIsEndedWithGoAwayAfterTheIdleTimeout() throws Exception {
    headers(1, "GET", "/api/v1/pods", true);
    f.connector.last().respond(head(200, "Content-Length: 2"), "{}");
    assertThat(framesOut()).contains("HEADERS 1 200");

    advance(89);
    assertThat(ch.isActive()).isTrue();
    advance(2);

    assertThat(framesOut()).contains("GOAWAY NO_ERROR");
    assertThat(ch.isActive()).isFalse();
    assertThat(timeouts("idle")).isEqualTo(1);
  }

  @Test
  void anOpenWatchKeepsItsConnectionForever() throws Exception {
    headers(1, "GET", "/api/v1/pods?watch=true", true);
    FakeBackendAttempt watch = f.connector.last();
    watch.deliver(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"));
    watch.deliver(content("{\"type\":\"ADDED\"}\n"));
    watch.readComplete();

    for (int i = 0; i < 10; i++) {
      advance(60);
    }

    assertThat(ch.isActive()).isTrue();
    assertThat(framesOut()).noneMatch(fr -> fr.startsWith("GOAWAY") || fr.startsWith("RST"));
    assertThat(timeouts("idle") + timeouts("request_header") + timeouts("request_body_idle")).isZero();
  }

  @Test
  void aShortRequestWhoseBodyStopsGets408AndOnlyItsStreamEnds() throws Exception {
    headers(1, "POST", "/api/v1/namespaces/default/configmaps", false);
    data(1, "{\"kind\":", false);
    FakeBackendAttempt a = f.connector.last();
    advance(20);
    data(1, "\"ConfigMap\"", false); // progress
    advance(29);
    assertThat(framesOut()).noneMatch(fr -> fr.startsWith("HEADERS"));

    advance(2);

    assertThat(framesOut()).contains("HEADERS 1 408");
    assertThat(a.ends()).containsExactly(FakeBackendAttempt.End.CLOSE);
    assertThat(ch.isActive()).isTrue();
    assertThat(timeouts("request_body_idle")).isEqualTo(1);
  }
}
