package io.apilb.frontend.http1;

import io.apilb.proxy.ClientSide;
import io.apilb.proxy.ConnectionFacts;
import io.apilb.proxy.HeaderRules;
import io.apilb.proxy.ProxyExchange;
import io.apilb.support.Channels;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The client side of one exchange on an HTTP/1.1 connection. Keep-alive is decided per request
 * (the client's request, and whether apilb is draining); the connection handler serves the next
 * request or closes when the exchange ends.
 */
final class Http1ClientSide implements ClientSide {
  private final Http1ConnectionHandler connection;
  private final ChannelHandlerContext ctx;
  private final ConnectionFacts facts;
  /** The client speaks HTTP/1.0: no chunked framing, so a body of unknown length ends with the connection. */
  private final boolean http10;
  private boolean keepAlive;
  private ProxyExchange exchange;

  Http1ClientSide(Http1ConnectionHandler connection, ChannelHandlerContext ctx, ConnectionFacts facts,
      HttpVersion version, boolean keepAlive) {
    this.connection = connection;
    this.ctx = ctx;
    this.facts = facts;
    this.http10 = version.equals(HttpVersion.HTTP_1_0);
    this.keepAlive = keepAlive;
  }

  void start(ProxyExchange exchange, HttpRequest head) {
    this.exchange = exchange;
    exchange.onRequestHead(head);
  }

  ProxyExchange exchange() {
    return exchange;
  }

  /** apilb is draining: this response says Connection: close if it has not started, and the connection closes after it. */
  void noKeepAlive() {
    keepAlive = false;
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

  @Override
  public boolean isOpen() {
    return ctx.channel().isActive();
  }

  @Override
  public boolean isWritable() {
    return ctx.channel().isWritable();
  }

  @Override
  public void read() {
    connection.read();
  }

  @Override
  public void writeResponseHead(HttpResponse backendHead, HttpMethod requestMethod, boolean endOfResponse) {
    if (http10 && !HttpUtil.isContentLengthSet(backendHead)) {
      keepAlive = false; // the close ends the body
    }
    ctx.write(HeaderRules.clientResponse(backendHead, requestMethod, keepAlive, !http10), ctx.voidPromise());
  }

  @Override
  public void writeContent(HttpContent content) {
    // void promise: a failed write closes the connection through exceptionCaught
    ctx.write(content, ctx.voidPromise());
  }

  @Override
  public void flush() {
    ctx.flush();
  }

  @Override
  public void responseEnded(boolean requestComplete) {
    connection.exchangeEnded(this, keepAlive && requestComplete);
  }

  @Override
  public void respond(FullHttpResponse response, boolean requestComplete) {
    boolean reuse = keepAlive && requestComplete;
    if (!reuse) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ctx.writeAndFlush(response, ctx.voidPromise());
    connection.exchangeEnded(this, reuse);
  }

  @Override
  public void abort() {
    // what was relayed goes out, then the close: the missing end tells the client it is truncated
    Channels.closeOnFlush(ctx.channel());
  }

  @Override
  public void switchProtocols(HttpResponse backendHead, ChannelHandler successor) {
    HttpResponse head = HeaderRules.clientResponse(backendHead, HttpMethod.GET, true);
    FullHttpResponse switching = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), Unpooled.EMPTY_BUFFER);
    switching.headers().set(head.headers());
    ctx.writeAndFlush(switching).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    connection.handOver(successor); // the codec encoded the 101 already: it can go
  }
}
