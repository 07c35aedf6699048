package io.apilb.sim;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.logging.LogLevel;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a simulated apiserver does on HTTP/2, as kube-apiserver does, and what tests can see of
 * it: SETTINGS_MAX_CONCURRENT_STREAMS (250 by default, Go's and kube-apiserver's); the
 * {@code UnauthenticatedHTTP2DOSMitigation} behaviour of 1.28+ (on by default): an anonymous
 * request, or one answered 401, gets {@code Connection: close}, which Go's HTTP/2 server turns
 * into GOAWAY(NO_ERROR, last stream id = the highest the client opened) and the end of the
 * connection once its streams are done; streams refused with REFUSED_STREAM on demand; and the
 * HTTP/2 connections with their open and total streams.
 */
public final class Http2Sessions {
  /** How long a retired connection waits for its open streams before it is closed anyway. */
  static final long RETIRE_WAIT_MILLIS = 30_000;

  private final int maxConcurrentStreams;
  private volatile boolean unauthenticatedClose;
  private final AtomicInteger refuse = new AtomicInteger();
  private final AtomicInteger retired = new AtomicInteger();
  private final AtomicInteger resetsReceived = new AtomicInteger();
  private final Set<String> rejectedTokens = ConcurrentHashMap.newKeySet();
  private final Map<Channel, int[]> byConnection = new ConcurrentHashMap<>(); // {open, total}

  Http2Sessions(int maxConcurrentStreams, boolean unauthenticatedClose) {
    this.maxConcurrentStreams = maxConcurrentStreams;
    this.unauthenticatedClose = unauthenticatedClose;
  }

  public int maxConcurrentStreams() {
    return maxConcurrentStreams;
  }

  /** Switches the 1.28+ unauthenticated-HTTP/2 {@code Connection: close} behaviour. */
  public void unauthenticatedClose(boolean on) {
    unauthenticatedClose = on;
  }

  /** The next {@code n} streams are refused with RST_STREAM(REFUSED_STREAM), unprocessed. */
  public void refuseNextStreams(int n) {
    refuse.set(n);
  }

  /** Requests with {@code Authorization: Bearer <token>} for these tokens are answered 401. */
  public void rejectTokens(String... tokens) {
    rejectedTokens.addAll(List.of(tokens));
  }

  /** RST_STREAM frames received from clients, on every connection so far. */
  public int resetsReceived() {
    return resetsReceived.get();
  }

  /** Counts the RST_STREAM frames a connection receives (a frame logger sees every frame read). */
  Http2FrameLogger resetCounter() {
    return new Http2FrameLogger(LogLevel.TRACE, Http2Sessions.class) {
      @Override
      public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        if (direction == Direction.INBOUND) {
          resetsReceived.incrementAndGet();
        }
        super.logRstStream(direction, ctx, streamId, errorCode);
      }
    };
  }

  /** Open HTTP/2 connections. */
  public int connections() {
    return byConnection.size();
  }

  /** Open streams of each open HTTP/2 connection. */
  public List<Integer> openStreamsPerConnection() {
    return byConnection.values().stream().map(c -> c[0]).toList();
  }

  /** Streams ever opened on each open HTTP/2 connection. */
  public List<Integer> streamsPerConnection() {
    return byConnection.values().stream().map(c -> c[1]).toList();
  }

  /** Connections retired for an unauthenticated request. */
  public int retiredForUnauthenticated() {
    return retired.get();
  }

  boolean tokenRejected(String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        && rejectedTokens.contains(authorization.substring(7).trim());
  }

  void connectionOpened(Channel ch) {
    byConnection.put(ch, new int[2]);
    ch.closeFuture().addListener(f -> byConnection.remove(ch));
  }

  /** A new stream: false when it is refused (then nothing serves it). Connection event loop. */
  boolean streamOpened(Http2StreamChannel stream) {
    if (refuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
      return false;
    }
    int[] c = byConnection.get(stream.parent());
    if (c != null) {
      synchronized (c) {
        c[0]++;
        c[1]++;
      }
      stream.closeFuture().addListener(f -> {
        synchronized (c) {
          c[0]--;
        }
      });
    }
    return true;
  }

  /**
   * An unauthenticated request arrived on {@code stream}: with the mitigation on, GOAWAY goes out
   * before the answer and the connection closes when its open streams are done, as Go's server
   * does for {@code Connection: close}.
   */
  void unauthenticated(Channel stream) {
    if (!unauthenticatedClose || !(stream instanceof Http2StreamChannel s)) {
      return;
    }
    Channel conn = s.parent();
    Http2FrameCodec codec = conn.pipeline().get(Http2FrameCodec.class);
    if (codec == null || codec.connection().goAwaySent()) {
      return;
    }
    retired.incrementAndGet();
    Http2Serving.goAway(conn, RETIRE_WAIT_MILLIS);
  }
}
