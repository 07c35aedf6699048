package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import java.time.Instant;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Streams of one {@link Http2BackendConnection} against an in-memory HTTP/2 server, frame by frame. */
class Http2StreamAttemptTest {
  /** What an exchange would see. */
  static final class Recorder implements BackendAttempt.Listener {
    final List<Object> messages = new ArrayList<>();
    int bytes;
    boolean inactive;
    String refused;

    @Override
    public void onBackendMessage(Object msg) {
      if (msg instanceof HttpContent c) {
        bytes += c.content().readableBytes();
      }
      messages.add(msg instanceof HttpResponse ? msg : msg instanceof LastHttpContent ? "last" : "data");
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void onBackendInactive() {
      inactive = true;
    }

    @Override
    public void onBackendRefused(String why) {
      refused = why;
    }

    @Override
    public void onBackendWritabilityChanged(boolean writable) {}

    @Override
    public void onBackendReadComplete() {}
  }

  private EmbeddedChannel client;
  private EmbeddedChannel server;
  private Http2BackendConnection conn;
  private Http2ConnectionHandler serverHandler;
  private final List<Integer> requestStreams = new ArrayList<>();
  private final List<Integer> resetsAtServer = new ArrayList<>();
  private final BackendEntry entry = new BackendEntry(new Backend("cp1", "10.0.0.1", 6443, Optional.empty()),
      BackendState.initial(Instant.EPOCH), new BackendStats());

  @BeforeEach
  void connect() {
    conn = Http2BackendConnection.create(65536);
    client = new EmbeddedChannel(conn);
    serverHandler = new Http2ConnectionHandlerBuilder().server(true)
        .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(2))
        .frameListener(new Http2FrameAdapter() {
          @Override
          public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
              boolean endStream) {
            requestStreams.add(streamId);
          }

          @Override
          public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int dep,
              short weight, boolean exclusive, int padding, boolean endStream) {
            requestStreams.add(streamId);
          }

          @Override
          public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            resetsAtServer.add(streamId);
          }

          @Override
          public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
              boolean endOfStream) {
            return 0; // request bodies are never consumed: their window is not returned
          }
        }).build();
    server = new EmbeddedChannel(serverHandler);
    shuttle();
  }

  @AfterEach
  void close() {
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }

  /** Moves bytes both ways until neither side has anything to say. */
  private void shuttle() {
    boolean moved = true;
    while (moved) {
      moved = false;
      client.runPendingTasks(); // the connection flushes its streams' writes once per loop turn
      Object o;
      while ((o = client.readOutbound()) != null) {
        server.writeInbound(o);
        moved = true;
      }
      while ((o = server.readOutbound()) != null) {
        client.writeInbound(o);
        moved = true;
      }
    }
  }

  private Http2StreamAttempt get(Recorder r) {
    Http2StreamAttempt a = conn.reserve(entry);
    a.start(r, true);
    a.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/v1/pods?watch=true"));
    a.write(LastHttpContent.EMPTY_LAST_CONTENT);
    a.flush();
    shuttle();
    return a;
  }

  private void respond(int streamId, int dataBytes, boolean end) {
    ChannelHandlerContext ctx = server.pipeline().firstContext();
    serverHandler.encoder().writeHeaders(ctx, streamId, new DefaultHttp2Headers().status("200"), 0, false,
        ctx.newPromise());
    ByteBuf data = Unpooled.wrappedBuffer(new byte[dataBytes]);
    serverHandler.encoder().writeData(ctx, streamId, data, 0, end, ctx.newPromise());
    server.flush();
    shuttle();
  }

  private int clientWindowAtServer(int streamId) {
    Http2Stream s = serverHandler.connection().stream(streamId);
    return serverHandler.connection().remote().flowController().windowSize(s);
  }

  @Test
  void aStalledStreamHoldsOnlyItsOwnWindow() {
    assertThat(conn.hasCapacity()).isTrue();
    Recorder stalled = new Recorder();
    Recorder active = new Recorder();
    Http2StreamAttempt s = get(stalled);
    Http2StreamAttempt a = get(active);
    assertThat(requestStreams).containsExactly(3, 5); // one HEADERS each, END_STREAM
    s.read();
    a.read();
    respond(s.streamId(), 200_000, false);
    respond(a.streamId(), 200_000, false);
    assertThat(stalled.messages).hasSize(1); // the head; the DATA waits for the client
    for (int i = 0; i < 100 && active.bytes < 200_000; i++) { // one DATA frame per read
      a.read();
      shuttle();
    }
    a.read(); // the client took it all: the bytes go back to the backend
    shuttle();
    assertThat(active.bytes).isEqualTo(200_000);
    // returned to the backend (WINDOW_UPDATE once half a window was taken)
    assertThat(clientWindowAtServer(a.streamId())).isGreaterThanOrEqualTo(Http2BackendConnection.STREAM_WINDOW / 2
        + 200_000 - 131_072);
    assertThat(clientWindowAtServer(s.streamId())).isEqualTo(Http2BackendConnection.STREAM_WINDOW - 200_000);
    // the connection window is never the limit
    assertThat(serverHandler.connection().remote().flowController()
        .windowSize(serverHandler.connection().connectionStream())).isGreaterThan(1 << 30);
    s.close();
    a.close();
  }

  @Test
  void aStreamThatEndedBothWaysIsReleasedWithoutAReset() {
    Recorder r = new Recorder();
    Http2StreamAttempt a = get(r);
    respond(requestStreams.get(0), 10, true);
    a.release();
    shuttle();
    assertThat(resetsAtServer).isEmpty();
  }

  @Test
  void aStreamWhoseBodyStillWaitsForWindowIsResetWhenTheResponseEndsFirst() {
    Recorder r = new Recorder();
    Http2StreamAttempt a = conn.reserve(entry);
    a.start(r, false);
    a.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/namespaces/default/configmaps"));
    // twice the server's stream window, which it never returns: the last DATA and its END_STREAM
    // wait in the flow controller
    a.write(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[2 * 65_535])));
    a.flush();
    shuttle();
    int id = requestStreams.get(0);
    respond(id, 10, true); // an apiserver may answer (say 403) before reading the body
    a.release();
    shuttle();
    assertThat(resetsAtServer).as("the waiting body is cancelled, not left holding the stream").containsExactly(id);
    assertThat(conn.hasCapacity()).isTrue();
  }

  @Test
  void manyResetsFromTheBackendNeverCloseItsConnection() {
    // an apiserver under load rejects requests before reading them, each with an RST_STREAM: a
    // client-side connection has no business enforcing a server's RST flood limit (200 / 30 s)
    for (int i = 0; i < 300; i++) {
      Recorder r = new Recorder();
      Http2StreamAttempt a = get(r);
      int id = requestStreams.get(requestStreams.size() - 1);
      ChannelHandlerContext ctx = server.pipeline().firstContext();
      serverHandler.resetStream(ctx, id, Http2Error.NO_ERROR.code(), ctx.newPromise());
      server.flush();
      shuttle();
      a.release();
      shuttle();
    }
    assertThat(client.isActive()).isTrue();
    assertThat(conn.hasCapacity()).isTrue();
  }

  @Test
  void maxConcurrentStreamsIsHonoured() {
    get(new Recorder());
    get(new Recorder());
    assertThat(conn.hasCapacity()).isFalse(); // the server allows 2
  }

  @Test
  void refusedStreamIsReportedAsUnprocessed() {
    Recorder r = new Recorder();
    Http2StreamAttempt a = get(r);
    ChannelHandlerContext ctx = server.pipeline().firstContext();
    serverHandler.resetStream(ctx, a.streamId(), Http2Error.REFUSED_STREAM.code(), ctx.newPromise());
    server.flush();
    shuttle();
    assertThat(r.refused).contains("REFUSED_STREAM");
    assertThat(r.inactive).isFalse();
    assertThat(conn.streams()).isZero();
  }

  @Test
  void goAwayRefusesStreamsAboveItsLastStreamIdAndLetsTheOthersFinish() {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    Http2StreamAttempt a = get(first);
    Http2StreamAttempt b = get(second);
    ChannelHandlerContext ctx = server.pipeline().firstContext();
    serverHandler.goAway(ctx, a.streamId(), Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, ctx.newPromise());
    server.flush();
    shuttle();
    assertThat(second.refused).contains("GOAWAY");
    assertThat(first.refused).isNull();
    assertThat(conn.hasCapacity()).isFalse(); // retiring: no new streams
    a.read();
    respond(a.streamId(), 10, true);
    a.read();
    assertThat(first.messages).hasSize(2).last().isEqualTo("last"); // the head, then the data with END_STREAM
    a.release();
    assertThat(client.isActive()).isFalse(); // its last stream done, the connection closes
    assertThat(b.streamId()).isGreaterThan(a.streamId());
  }

  @Test
  void lostConnectionFailsOpenStreamsAsLosses() {
    Recorder r = new Recorder();
    get(r);
    client.close();
    assertThat(r.inactive).isTrue();
    assertThat(r.refused).isNull();
  }
}
