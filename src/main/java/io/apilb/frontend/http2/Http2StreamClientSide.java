package io.apilb.frontend.http2;

import io.apilb.proxy.ClientSide;
import io.apilb.proxy.ConnectionFacts;
import io.apilb.proxy.HeaderRules;
import io.apilb.proxy.ProxyContext;
import io.apilb.proxy.ProxyExchange;
import io.apilb.support.HttpMessageKinds;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * The client side of one HTTP/2 stream's exchange: the stream's state, its request bytes not yet
 * returned to the flow-control window, and the frames of the response. Streams have no channel
 * of their own; everything goes through the connection's {@link Http2FrontendHandler}.
 */
final class Http2StreamClientSide implements ClientSide {
  private final Http2FrontendHandler connection;
  private final ChannelHandlerContext ctx;
  private final Http2Stream stream;
  private final ConnectionFacts facts;
  private ProxyExchange exchange;
  /** The request head and contents delivered before the exchange started. */
  private ArrayDeque<Object> waiting = new ArrayDeque<>(2);
  private boolean answered;
  private int unconsumed;
  private boolean closed;
  /**
   * The end of our response is written. The stream may then close inside the next flush (a
   * synchronous write completion) while the exchange is still finishing in the same call; that
   * close is the normal end, not the client going away.
   */
  private boolean responseEnded;
  /** The write that ends our response, so a reset can wait for it. */
  private ChannelPromise endWrite;

  Http2StreamClientSide(Http2FrontendHandler connection, Http2Stream stream, ConnectionFacts facts) {
    this.connection = connection;
    this.ctx = connection.context();
    this.stream = stream;
    this.facts = facts;
  }

  /**
   * The request head or request content. Until the connection's read completes ({@link #start})
   * they wait here: a stream the client resets in the same read (rapid reset) never costs a
   * backend request.
   */
  void deliver(Object msg) {
    if (exchange != null) {
      exchange.onRequestContent((HttpContent) msg);
    } else if (waiting != null) {
      waiting.add(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Starts the exchange with what arrived, unless the stream closed first. */
  void start(Supplier<ProxyContext> px) {
    ArrayDeque<Object> messages = waiting;
    waiting = null;
    if (messages == null) {
      return;
    }
    if (closed) {
      messages.forEach(ReferenceCountUtil::release);
      return;
    }
    exchange = new ProxyExchange(px.get(), this);
    exchange.onRequestHead((HttpRequest) messages.poll());
    Object m;
    while ((m = messages.poll()) != null) {
      exchange.onRequestContent((HttpContent) m);
    }
  }

  /** A response (head, or apilb's own) was written: a reset from now on is not premature. */
  boolean answered() {
    return answered;
  }

  Http2Stream stream() {
    return stream;
  }

  ProxyExchange exchange() {
    return exchange;
  }

  /** Request DATA delivered but not yet returned to the client's window. */
  void unconsumed(int bytes) {
    unconsumed += bytes;
  }

  int takeUnconsumed() {
    int n = unconsumed;
    unconsumed = 0;
    return n;
  }

  /** The stream closed: reset by the client, or ended both ways. */
  void closed() {
    closed = true;
    if (!responseEnded && exchange != null) {
      exchange.onClientGone();
    } else if (waiting != null) {
      waiting.forEach(ReferenceCountUtil::release);
      waiting = null;
    }
  }

  @Override
  public ConnectionFacts facts() {
    return facts;
  }

  @Override
  public EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  /** Set when {@link #isWritable} answered false, until the exchange is resumed. */
  private boolean waitingForWritable;

  @Override
  public boolean isOpen() {
    return !closed && ctx.channel().isActive();
  }

  @Override
  public boolean isWritable() {
    boolean writable = !closed && connection.encoder().flowController().isWritable(stream);
    waitingForWritable = !writable;
    return writable;
  }

  /**
   * The exchange found the stream unwritable and waits to be told otherwise; when it now is,
   * tells it. Called on every writability signal, stream or connection: the flow controller's own
   * notifications are edge-triggered, and a missed edge would leave a response stalled forever.
   */
  boolean resumeIfWritable() {
    if (waitingForWritable && exchange != null && !closed
        && connection.encoder().flowController().isWritable(stream)) {
      waitingForWritable = false;
      exchange.onClientWritable();
      return true;
    }
    return false;
  }

  @Override
  public void read() {
    if (unconsumed > 0 && !closed) {
      connection.consumeBytes(stream, takeUnconsumed());
    }
  }

  @Override
  public void writeResponseHead(HttpResponse backendHead, HttpMethod requestMethod, boolean endOfResponse) {
    // straight to a HEADERS frame: no intermediate HTTP/1 head to convert again
    writeHeaders(HeaderRules.clientResponseHttp2(backendHead), endOfResponse);
  }

  @Override
  public void writeContent(HttpContent content) {
    if (!canSend()) {
      content.release();
      return;
    }
    LastHttpContent lastContent = HttpMessageKinds.asLast(content); // exact classes first: see there
    boolean last = lastContent != null;
    Http2Headers trailers = null;
    if (last && !lastContent.trailingHeaders().isEmpty()) {
      try {
        trailers = HttpConversionUtil.toHttp2Headers(lastContent.trailingHeaders(), false);
      } catch (RuntimeException e) {
        content.release();
        abort();
        return;
      }
    }
    ByteBuf data = content.content();
    boolean endWithData = last && trailers == null;
    if (data.isReadable() || endWithData) {
      connection.encoder().writeData(ctx, stream.id(), data, 0, endWithData, promiseFor(endWithData));
    } else {
      data.release();
    }
    if (trailers != null) {
      connection.encoder().writeHeaders(ctx, stream.id(), trailers, 0, true, promiseFor(true));
    }
  }

  @Override
  public void flush() {
    connection.flushConnection();
  }

  @Override
  public void responseEnded(boolean requestComplete) {
    if (!requestComplete) {
      stopRequestBody(); // the client is still sending a body nobody will read
    }
  }

  @Override
  public void respond(FullHttpResponse response, boolean requestComplete) {
    responseEnded = true; // before the flush, which may close the stream at once
    Http2Headers headers;
    try {
      headers = HttpConversionUtil.toHttp2Headers(response, false);
    } catch (RuntimeException e) {
      response.release();
      abort();
      return;
    }
    boolean hasBody = response.content().isReadable();
    writeHeaders(headers, !hasBody);
    if (hasBody) {
      writeContent(new DefaultLastHttpContent(response.content())); // takes the reference
    } else {
      response.release();
    }
    flush();
    responseEnded(requestComplete);
  }

  @Override
  public void abort() {
    connection.resetStream(stream, Http2Error.CANCEL);
  }

  @Override
  public void switchProtocols(HttpResponse backendHead, ChannelHandler successor) {
    throw new IllegalStateException("protocol upgrades are refused on HTTP/2 streams at admission");
  }

  private void writeHeaders(Http2Headers headers, boolean endStream) {
    answered = true;
    if (canSend()) {
      connection.encoder().writeHeaders(ctx, stream.id(), headers, 0, endStream, promiseFor(endStream));
    }
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
    responseEnded = true;
    endWrite = ctx.newPromise();
    return endWrite;
  }

  /**
   * The response is complete but the request body is not: once the end of the response is on
   * the wire, asks the client to stop sending (RST_STREAM NO_ERROR, RFC 9113 section 8.1).
   */
  private void stopRequestBody() {
    ChannelPromise end = endWrite;
    if (end == null || end.isDone()) {
      connection.resetStream(stream, Http2Error.NO_ERROR);
    } else {
      // queued DATA (an exhausted window) would be cancelled by a reset sent now
      end.addListener(f -> connection.resetStream(stream, Http2Error.NO_ERROR));
    }
  }
}
