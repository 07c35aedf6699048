package io.apilb.frontend.http2;

import io.apilb.config.ListenerTimeouts;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.support.ConnectionDeadlines;
import io.apilb.support.LazyDeadlineTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-header, idle and request-body-idle timeouts of one HTTP/2 client connection
 * ({@code apilb.listener.timeouts}), installed just before {@link Http2FrontendHandler}:
 *
 * <ul>
 *   <li>request-header: the first HEADERS of a new connection must come within it, and a header
 *       block once begun (HEADERS without END_HEADERS) must end within it: a client dribbling
 *       CONTINUATION frames would otherwise hold the connection, since nothing else may be sent
 *       until the block ends. {@link Http2FrameScanner} reads the frame headers from the raw bytes
 *       for this, because Netty's decoder reports a header block only once it is whole.
 *   <li>idle: no stream open for this long ends the connection with GOAWAY NO_ERROR (the channel's
 *       close goes through {@code Http2ConnectionHandler.close}, which sends it).
 *   <li>request-body-idle: a stream whose request body is still coming that sends no DATA for
 *       this long while its flow-control windows are open; its exchange answers 408 or resets it.
 *       A watch (HEADERS with END_STREAM) never has a body pending, so it is never touched.
 * </ul>
 *
 * <p>One timer per connection, re-armed lazily (see {@code Http1Timeouts}); per-stream state is one
 * small object for streams with a body, found through a stream property.
 */
public final class Http2Timeouts extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Http2Timeouts.class);

  /** The request body of one stream: when DATA last came (or waiting last became the client's turn). */
  private static final class PendingBody {
    long lastProgress;

    PendingBody(long now) {
      lastProgress = now;
    }
  }

  private final ConnectionDeadlines deadlines;
  private final ApilbMetrics metrics;
  private final Http2FrameScanner scanner = new Http2FrameScanner(new Frames());
  private ChannelHandlerContext ctx;
  private Http2FrontendHandler frontend;
  private Http2Connection connection;
  private Http2Connection.PropertyKey bodyKey;
  private long start;
  private boolean anyStream;
  /** Since when no stream is open (valid while none is). */
  private long idleSince;
  /** Since when a header block is incomplete, or -1. */
  private long headerBlockSince = -1;
  private int pendingBodies;
  private LazyDeadlineTimer timer;

  public Http2Timeouts(ListenerTimeouts timeouts, ApilbMetrics metrics) {
    this.deadlines = new ConnectionDeadlines(timeouts.requestHeader(), timeouts.idle(), timeouts.requestBodyIdle());
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.timer = new LazyDeadlineTimer(ctx.executor(), this::fired);
    this.frontend = ctx.pipeline().get(Http2FrontendHandler.class);
    if (frontend == null) {
      throw new IllegalStateException("http2 timeouts need the HTTP/2 handler in the pipeline");
    }
    this.connection = frontend.connection();
    this.bodyKey = connection.newKey();
    connection.addListener(new StreamEvents());
    start = now();
    idleSince = start;
    arm(deadlines.firstRequestBy(start));
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      scanner.scan(buf);
    }
    ctx.fireChannelRead(msg);
  }

  // ------------------------------------------------------- frames and streams

  private final class Frames implements Http2FrameScanner.Listener {
    @Override
    public void headerBlockStarted() {
      if (headerBlockSince < 0) {
        headerBlockSince = now();
        arm(deadlines.headerBy(headerBlockSince));
      }
    }

    @Override
    public void headerBlockEnded() {
      headerBlockSince = -1;
    }

    @Override
    public void data(int streamId) {
      Http2Stream stream = connection.stream(streamId);
      PendingBody body = stream == null ? null : stream.getProperty(bodyKey);
      if (body != null) {
        body.lastProgress = now();
      }
    }
  }

  private final class StreamEvents extends Http2ConnectionAdapter {
    @Override
    public void onStreamActive(Http2Stream stream) {
      anyStream = true;
      if (deadlines.bodyIdleOn() && stream.state() == Http2Stream.State.OPEN) {
        stream.setProperty(bodyKey, new PendingBody(now()));
        pendingBodies++;
        arm(now() + deadlines.bodyIdleNanos());
      }
    }

    @Override
    public void onStreamHalfClosed(Http2Stream stream) {
      forgetBody(stream);
    }

    @Override
    public void onStreamClosed(Http2Stream stream) {
      forgetBody(stream);
      idleSince = now(); // checked against the open-stream count when the timer fires
      arm(deadlines.idleBy(idleSince));
    }
  }

  private void forgetBody(Http2Stream stream) {
    if (stream.removeProperty(bodyKey) != null) {
      pendingBodies--;
    }
  }

  // ------------------------------------------------------- the timer

  /** The earliest connection-level deadline (header or idle), or {@code Long.MAX_VALUE}. */
  private long connectionDeadline() {
    long d = Long.MAX_VALUE;
    if (!anyStream) {
      d = deadlines.firstRequestBy(start);
    } else if (connection.numActiveStreams() == 0) {
      d = deadlines.idleBy(idleSince);
    }
    if (headerBlockSince >= 0) {
      d = Math.min(d, deadlines.headerBy(headerBlockSince));
    }
    return d;
  }

  private void arm(long deadline) {
    timer.fireBy(deadline);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel();
    }
  }

  private void fired() {
    if (!ctx.channel().isActive()) {
      return;
    }
    long now = now();
    long deadline = connectionDeadline();
    if (now >= deadline) {
      closeConnection();
      return;
    }
    if (pendingBodies > 0) {
      deadline = Math.min(deadline, expireIdleBodies(now));
    }
    arm(deadline);
  }

  private void closeConnection() {
    String timeout = headerBlockSince >= 0 ? "request_header" : !anyStream ? deadlines.firstRequestTimeout() : "idle";
    metrics.listenerTimeout(timeout);
    log.debug("closing HTTP/2 client connection {}: {} timeout", ctx.channel(), timeout);
    ctx.channel().close(); // from the tail: Http2ConnectionHandler sends GOAWAY NO_ERROR first
  }

  /** Ends the streams whose body is overdue; answers the next body deadline. */
  private long expireIdleBodies(long now) {
    Http2LocalFlowController flow = frontend.decoder().flowController();
    Http2Stream connectionStream = connection.connectionStream();
    long[] next = {Long.MAX_VALUE};
    List<Http2Stream> overdue = new ArrayList<>(0);
    try {
      connection.forEachActiveStream(stream -> {
        PendingBody body = stream.getProperty(bodyKey);
        if (body == null) {
          return true;
        }
        if (flow.windowSize(stream) <= 0 || flow.windowSize(connectionStream) <= 0) {
          body.lastProgress = now; // apilb holds the client back: not the client's silence
        } else if (now - body.lastProgress >= deadlines.bodyIdleNanos()) {
          overdue.add(stream);
          return true;
        }
        next[0] = Math.min(next[0], body.lastProgress + deadlines.bodyIdleNanos());
        return true;
      });
    } catch (Http2Exception e) {
      throw new IllegalStateException(e); // the visitor throws nothing
    }
    // acted on after the walk: ending an exchange may close its stream
    for (Http2Stream stream : overdue) {
      forgetBody(stream); // one verdict per stream
      if (frontend.requestBodyIdle(stream, deadlines.bodyIdleSeconds())) {
        metrics.listenerTimeout("request_body_idle");
      }
    }
    return next[0];
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
