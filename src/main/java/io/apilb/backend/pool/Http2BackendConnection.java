package io.apilb.backend.pool;

import io.apilb.backend.BackendEntry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed HTTP/2 connection to a backend: every stream is a {@link Http2StreamAttempt}
 * served by this one handler (no child channel, pipeline or promise per stream), HEADERS and DATA
 * turned into the same HTTP objects an HTTP/1.1 backend produces.
 *
 * <p>Flow control isolates streams: each stream's window is returned to the backend only as its
 * client takes the bytes ({@link Http2StreamAttempt#read()}), while the connection window is the
 * largest HTTP/2 allows, so a stalled stream stops only itself. The connection reads continuously.
 *
 * <p>A GOAWAY stops new streams (the pool opens another connection); streams above its last
 * stream id were provably not processed and are refused to their exchanges, which retry them
 * elsewhere; the others finish, then the connection closes. A PING every half of the dead-backend
 * time, unanswered by the next, closes the connection. Event loop only.
 */
final class Http2BackendConnection extends Http2ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Http2BackendConnection.class);
  /** Each stream's receive window: kube-apiserver's per-stream upload buffer and frame size. */
  static final int STREAM_WINDOW = 256 * 1024;

  private final Http2Connection.PropertyKey attemptKey;
  private final List<Http2StreamAttempt> attempts = new ArrayList<>();
  private final List<Http2StreamAttempt> touched = new ArrayList<>();
  private Http2Pool pool;
  private ChannelHandlerContext ctx;
  private boolean ready;
  private boolean draining;
  private boolean inRead;
  /** A flush of the streams' writes is queued on the event loop ({@link #flushConnection}). */
  private boolean flushScheduled;
  private long idleSinceNanos = System.nanoTime();
  private long pingOutstanding;

  Http2BackendConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
    super(decoder, encoder, settings);
    attemptKey = connection().newKey();
    decoder.frameListener(new Http2BackendFrames(this));
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        Http2StreamAttempt a = stream.removeProperty(attemptKey);
        if (a != null) {
          a.onStreamClosed(refusedByGoAway(stream.id()));
        }
      }

      @Override
      public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
        log.debug("backend {} sent GOAWAY (last stream {}, error {})", pool == null ? "?" : pool.name(), lastStreamId,
            errorCode);
        retire();
      }
    });
    encoder.flowController().listener(new Http2RemoteFlowController.Listener() {
      @Override
      public void writabilityChanged(Http2Stream stream) {
        Http2StreamAttempt a = stream.getProperty(attemptKey);
        if (a != null) {
          a.onWritabilityChanged();
        }
      }
    });
  }

  static Http2BackendConnection create(int maxHeaderListSize) {
    return new Http2BackendConnectionBuilder(maxHeaderListSize).build();
  }

  void pool(Http2Pool owner) {
    this.pool = owner;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
    // the connection window never limits a stream: each stream's own window does
    int grow = Integer.MAX_VALUE - connection().local().flowController().windowSize(connection().connectionStream());
    connection().local().flowController().incrementWindowSize(connection().connectionStream(), grow);
    flush(ctx);
  }

  // ---------------------------------------------------------------- the pool's view

  boolean ready() {
    return ready && !draining && ctx.channel().isActive();
  }

  /** Room for one more stream under the backend's SETTINGS_MAX_CONCURRENT_STREAMS. */
  boolean hasCapacity() {
    return ready() && attempts.size() < connection().local().maxActiveStreams();
  }

  int streams() {
    return attempts.size();
  }

  /** The backend's SETTINGS_MAX_CONCURRENT_STREAMS for this connection (until SETTINGS: the protocol's unlimited). */
  int maxStreams() {
    return connection().local().maxActiveStreams();
  }

  /** Without streams since before {@code limitNanos} (a {@link System#nanoTime()}). */
  boolean idleSince(long limitNanos) {
    return attempts.isEmpty() && idleSinceNanos - limitNanos < 0;
  }

  /** Takes one stream slot for a request. */
  Http2StreamAttempt reserve(BackendEntry entry) {
    Http2StreamAttempt a = new Http2StreamAttempt(this, entry);
    attempts.add(a);
    entry.stats().http2Streams(1);
    return a;
  }

  /** No new streams; the connection closes when its last stream ends. */
  void retire() {
    if (!draining) {
      draining = true;
      if (pool != null) {
        pool.onDraining(this);
      }
    }
    if (attempts.isEmpty()) {
      ctx.close();
    }
  }

  void close() {
    ctx.close();
  }

  /** Sends a PING, or closes the connection when the previous one was never answered. */
  void ping() {
    if (pingOutstanding != 0) {
      log.info("backend {} did not answer a PING in time; closing its HTTP/2 connection", pool.name());
      ctx.close();
      return;
    }
    pingOutstanding = System.nanoTime() | 1;
    encoder().writePing(ctx, false, pingOutstanding, ctx.newPromise());
    flush(ctx);
  }

  // ---------------------------------------------------------------- the attempts' view

  /** Opens a stream with {@code headers}; -1 when no stream can be opened (nothing was sent). */
  int openStream(Http2StreamAttempt a, Http2Headers headers, boolean endStream) {
    Http2Connection.Endpoint<?> local = connection().local();
    if (!ctx.channel().isActive() || connection().goAwayReceived() || connection().goAwaySent()
        || !local.canOpenStream()) {
      return -1;
    }
    int id = local.incrementAndGetNextStreamId();
    if (id < 0) {
      retire(); // stream ids exhausted
      return -1;
    }
    encoder().writeHeaders(ctx, id, headers, 0, endStream, ctx.newPromise());
    Http2Stream stream = connection().stream(id);
    if (stream == null) {
      return -1;
    }
    stream.setProperty(attemptKey, a);
    return id;
  }

  void writeData(int streamId, ByteBuf data, boolean endStream) {
    if (connection().stream(streamId) == null) {
      data.release();
      return;
    }
    encoder().writeData(ctx, streamId, data, 0, endStream, ctx.newPromise());
  }

  boolean isWritable(int streamId) {
    Http2Stream s = streamId > 0 ? connection().stream(streamId) : null;
    return ctx.channel().isWritable() && (s == null || encoder().flowController().isWritable(s));
  }

  /**
   * Cancels a stream that is still open on a side: ours, when our END_STREAM has not gone out
   * (not merely reached the flow controller: a request body may wait there for window), or the
   * backend's, unless its response is complete. A response completes inside the listener of its
   * last frame, before Netty closes the stream's remote side: {@code responseComplete} says so.
   */
  void cancelUnlessEnded(int streamId, boolean responseComplete) {
    Http2Stream s = connection().stream(streamId);
    if (s != null && (s.state().localSideOpen() || (!responseComplete && s.state().remoteSideOpen()))) {
      s.removeProperty(attemptKey);
      resetStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
      flushConnection();
    }
  }

  /** A stream's protocol state and windows (diagnostics). */
  String describeStream(int streamId) {
    Http2Stream s = streamId > 0 ? connection().stream(streamId) : null;
    if (s == null) {
      return "stream gone";
    }
    return "state=" + s.state() + " local-window=" + decoder().flowController().windowSize(s) + " unconsumed="
        + decoder().flowController().unconsumedBytes(s) + " connection-local-window="
        + decoder().flowController().windowSize(connection().connectionStream()) + " channel-writable="
        + ctx.channel().isWritable();
  }

  /** Returns {@code bytes} the client took to the stream's window. */
  void consume(int streamId, int bytes) {
    Http2Stream s = connection().stream(streamId);
    if (s == null || s.state() == Http2Stream.State.CLOSED) {
      return;
    }
    try {
      if (decoder().flowController().consumeBytes(s, bytes)) {
        flush(ctx);
      }
    } catch (Http2Exception e) {
      onError(ctx, false, e);
    }
  }

  /**
   * Flushes what the streams wrote, once per event-loop turn: the requests of many client
   * streams (often written during one client read) leave in one TLS record and one write call
   * instead of one each. During this connection's own read, its read-complete flushes.
   */
  void flushConnection() {
    if (inRead || flushScheduled) {
      return;
    }
    flushScheduled = true;
    ctx.channel().eventLoop().execute(flushTask);
  }

  private final Runnable flushTask = () -> {
    flushScheduled = false;
    flush(ctx);
  };

  boolean draining() {
    return draining || connection().goAwayReceived();
  }

  /** True while the connection reads: delivered messages are flushed at the read's end. */
  boolean inRead() {
    return inRead;
  }

  void touched(Http2StreamAttempt a) {
    touched.add(a);
  }

  io.netty.channel.EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  /** An attempt ended: its slot is free. */
  void released(Http2StreamAttempt a) {
    if (attempts.remove(a)) {
      a.backend().stats().http2Streams(-1);
      if (attempts.isEmpty()) {
        idleSinceNanos = System.nanoTime();
      }
      if (draining) {
        retire();
      } else if (pool != null) {
        pool.onCapacity(this);
      }
    }
  }

  private boolean refusedByGoAway(int streamId) {
    return connection().goAwayReceived() && streamId > connection().local().lastStreamKnownByPeer();
  }

  // ---------------------------------------------------------------- channel events

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    inRead = true;
    super.channelRead(ctx, msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    inRead = false;
    for (int i = 0; i < touched.size(); i++) {
      touched.get(i).readComplete();
    }
    touched.clear();
    super.channelReadComplete(ctx);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    for (Http2StreamAttempt a : List.copyOf(attempts)) {
      a.onWritabilityChanged();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (log.isDebugEnabled()) {
      log.debug("connection to {} closed with {} streams (GOAWAY received: {}, last stream known by the peer: {})",
          pool == null ? "?" : pool.name(), attempts.size(), connection().goAwayReceived(),
          connection().local().lastStreamKnownByPeer());
    }
    draining = true;
    try {
      super.channelInactive(ctx); // closes the streams: their attempts see the loss
    } finally {
      for (Http2StreamAttempt a : List.copyOf(attempts)) {
        a.onConnectionLost();
      }
      if (pool != null) {
        pool.onClosed(this);
      }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (cause instanceof java.io.IOException) {
      log.debug("HTTP/2 backend connection {} failed: {}", ctx.channel(), cause.toString());
      ctx.close();
      return;
    }
    super.exceptionCaught(ctx, cause);
  }

  /** The stream's attempt, if one is reading it. */
  Http2StreamAttempt attempt(int streamId) {
    Http2Stream s = connection().stream(streamId);
    return s == null ? null : s.getProperty(attemptKey);
  }

  /** SETTINGS arrived: the first make the connection ready; later ones may raise the stream limit. */
  void onSettings() {
    if (!ready) {
      ready = true;
      if (pool != null) {
        pool.onReady(this);
      }
    } else if (pool != null) {
      pool.onCapacity(this);
    }
  }

  void onPingAck(long data) {
    if (data == pingOutstanding) {
      pingOutstanding = 0;
    }
  }
}
