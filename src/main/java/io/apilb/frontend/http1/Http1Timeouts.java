package io.apilb.frontend.http1;

import io.apilb.config.ListenerTimeouts;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.support.ConnectionDeadlines;
import io.apilb.support.HttpMessageKinds;
import io.apilb.support.LazyDeadlineTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-header, idle and request-body-idle timeouts of one HTTP/1.1 client connection
 * ({@code apilb.listener.timeouts}). It sits before the codec, so it sees the raw bytes (a partial
 * head never reaches the connection handler), and {@link Http1ConnectionHandler} tells it where
 * the connection is: waiting for a request, inside an exchange, waiting for body bytes it asked for.
 *
 * <p>One timer per connection, armed lazily like Netty's IdleStateHandler: phase changes only
 * move a deadline, and the timer, when it fires early, re-arms itself for what is left; it is
 * rescheduled only when a deadline moves earlier than the pending fire time (at most once per
 * request). Inside an exchange nothing runs unless a body read is outstanding, so a watch or any
 * other long response is never cut by these timeouts.
 */
public final class Http1Timeouts extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Http1Timeouts.class);

  private enum Phase {
    /** Connection open, no byte of a request yet: the header timeout runs from the start. */
    FIRST_REQUEST,
    /** Kept alive after a response, no byte of the next request yet. */
    IDLE,
    /** Bytes of a request head arrived, the head is not complete. */
    HEAD,
    /** The head is complete: an exchange owns the connection. */
    EXCHANGE
  }

  private final ConnectionDeadlines deadlines;
  private final ApilbMetrics metrics;
  private ChannelHandlerContext ctx;
  private Http1ConnectionHandler connection;
  private Phase phase = Phase.FIRST_REQUEST;
  private long phaseStart;
  /** The request body is not fully read yet (EXCHANGE only). */
  private boolean bodyPending;
  /** A read for body bytes is outstanding since {@link #bodyWaitStart}. */
  private boolean bodyWanted;
  private long bodyWaitStart;
  private LazyDeadlineTimer timer;

  public Http1Timeouts(ListenerTimeouts timeouts, ApilbMetrics metrics) {
    this.deadlines = new ConnectionDeadlines(timeouts.requestHeader(), timeouts.idle(), timeouts.requestBodyIdle());
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.timer = new LazyDeadlineTimer(ctx.executor(), this::fired);
    phaseStart = now();
    arm();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel(); // a 101 hands the connection to a tunnel, which has its own idle rule
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf && buf.isReadable()) {
      if (phase == Phase.IDLE) {
        phase = Phase.HEAD; // the next request began: its head has the header timeout from now
        phaseStart = now();
        arm();
      } else if (phase == Phase.FIRST_REQUEST) {
        phase = Phase.HEAD; // still counted from the connection's start
      } else if (bodyWanted) {
        bodyWaitStart = now(); // a partial chunk is progress too
      }
    }
    ctx.fireChannelRead(msg);
  }

  // ------------------------------------------------------- told by Http1ConnectionHandler

  void connectionHandler(Http1ConnectionHandler connection) {
    this.connection = connection;
  }

  /**
   * A message reached the connection handler: a complete head puts the connection in an exchange
   * until {@link #exchangeEnded}; the last content ends the request body.
   */
  void messageRead(Object msg) {
    bodyWanted = false;
    if (HttpMessageKinds.asRequest(msg) != null) { // exact classes first: see HttpMessageKinds
      phase = Phase.EXCHANGE;
      bodyPending = true;
    }
    if (HttpMessageKinds.isLast(msg)) {
      bodyPending = false;
    }
  }

  /** The connection handler asked for the next message. */
  void readRequested() {
    if (phase == Phase.EXCHANGE && bodyPending && !bodyWanted && deadlines.bodyIdleOn()) {
      bodyWanted = true;
      bodyWaitStart = now();
      arm();
    }
  }

  /** The exchange ended and the connection is kept alive for the next request. */
  void exchangeEnded() {
    phase = Phase.IDLE;
    bodyPending = false;
    bodyWanted = false;
    phaseStart = now();
    arm();
  }

  // ------------------------------------------------------- the timer

  /** The current deadline in ticker nanos, or {@code Long.MAX_VALUE} for none. */
  private long deadline() {
    return switch (phase) {
      case FIRST_REQUEST -> deadlines.firstRequestBy(phaseStart);
      case IDLE -> deadlines.idleBy(phaseStart);
      case HEAD -> deadlines.headerBy(phaseStart);
      case EXCHANGE -> bodyWanted ? deadlines.bodyIdleBy(bodyWaitStart) : Long.MAX_VALUE;
    };
  }

  /** Makes sure the timer fires no later than the current deadline. */
  private void arm() {
    if (timer != null) {
      timer.fireBy(deadline());
    }
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
    long deadline = deadline();
    if (deadline == Long.MAX_VALUE) {
      return; // nothing to time now; a later phase change arms again
    }
    if (now() < deadline) {
      timer.fireBy(deadline);
      return;
    }
    expire();
  }

  private void expire() {
    switch (phase) {
      case FIRST_REQUEST -> close(deadlines.firstRequestTimeout());
      case HEAD -> close("request_header");
      case IDLE -> close("idle");
      case EXCHANGE -> bodyIdle();
    }
  }

  private void close(String timeout) {
    metrics.listenerTimeout(timeout);
    log.debug("closing client connection {}: {} timeout ({})", ctx.channel(), timeout, phase);
    ctx.channel().close();
  }

  private void bodyIdle() {
    bodyWanted = false;
    bodyPending = false; // one verdict per request: a long-running one is not asked again
    if (connection != null && connection.requestBodyIdle(deadlines.bodyIdleSeconds())) {
      metrics.listenerTimeout("request_body_idle");
    }
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
