package io.apilb.frontend.http1;

import io.apilb.proxy.ConnectionFacts;
import io.apilb.proxy.ProxyContext;
import io.apilb.proxy.ProxyExchange;
import io.apilb.support.Channels;
import io.apilb.support.DrainEvent;
import io.apilb.support.HandlerNames;
import io.apilb.support.HttpMessageKinds;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/1.1 client connection: read demand (auto-read is off, and a
 * {@code FlowControlHandler} hands over one message per read), drain, and a fresh
 * {@link ProxyExchange} for every request. Requests are served one at a time: the next head is
 * read only after the current exchange has ended with the connection kept alive.
 */
public final class Http1ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Http1ConnectionHandler.class);

  /** The current context is read per request, so a reload applies to open connections. */
  private final Supplier<ProxyContext> contexts;
  private ChannelHandlerContext ctx;
  private ConnectionFacts facts;
  /** The client side of the exchange in progress; null between requests. */
  private Http1ClientSide current;
  /**
   * A read was requested and no message has arrived yet. With auto-read off, one read() is one
   * read loop: a loop that yields no message for us (TLS records, a partial header) still ends in
   * channelReadComplete, and the demand must then be renewed or the connection stalls.
   */
  private boolean readWanted;
  private boolean draining;
  private boolean closing;
  /** The connection's timeouts, told where the connection is; null when none are installed. */
  private Http1Timeouts timeouts;

  public Http1ConnectionHandler(Supplier<ProxyContext> contexts) {
    this.contexts = contexts;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    timeouts = ctx.pipeline().get(Http1Timeouts.class);
    if (timeouts != null) {
      timeouts.connectionHandler(this);
    }
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readWanted = false;
    if (timeouts != null) {
      timeouts.messageRead(msg);
    }
    // HttpMessageKinds: exact classes first (no per-class interface cache rewritten per message)
    HttpRequest req = HttpMessageKinds.asRequest(msg);
    HttpContent content;
    if (req != null) {
      if (current != null) {
        ReferenceCountUtil.release(msg); // cannot happen with flow control; never mix exchanges
        return;
      }
      if (facts == null) {
        facts = ConnectionFacts.of(ctx.channel(), false);
      }
      current = new Http1ClientSide(this, ctx, facts, req.protocolVersion(), HttpUtil.isKeepAlive(req) && !draining);
      current.start(new ProxyExchange(contexts.get(), current), req);
    } else if ((content = HttpMessageKinds.asContent(msg)) != null && current != null) {
      current.exchange().onRequestContent(content);
    } else {
      // the end of a bodiless request answered before it was read: on to the next request
      ReferenceCountUtil.release(msg);
      read();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (readWanted && !closing) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.exchange().onClientWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    Http1ClientSide side = current;
    current = null;
    if (side != null) {
      side.exchange().onClientGone();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof DrainEvent) {
      draining = true;
      if (current == null) {
        closing = true;
        ctx.close(); // nothing in progress on this connection
      } else {
        // the response carries Connection: close if it has not started, else we close after it
        current.noKeepAlive();
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client channel {} failed: {}", ctx.channel(), cause.toString());
    ctx.close();
  }

  /** Asks for the client's next message (a request head or body content). */
  void read() {
    readWanted = true;
    if (timeouts != null) {
      timeouts.readRequested();
    }
    ctx.read();
  }

  /** {@code side}'s exchange is over: serve the next request, or close after what was written. */
  void exchangeEnded(Http1ClientSide side, boolean keepAlive) {
    if (side != current) {
      return;
    }
    current = null;
    if (keepAlive && !draining && !closing) {
      if (timeouts != null) {
        timeouts.exchangeEnded();
      }
      read();
    } else {
      closing = true;
      Channels.closeOnFlush(ctx.channel());
    }
  }

  /** The request-body-idle timeout fired: the exchange decides (short requests only). */
  boolean requestBodyIdle(long idleSeconds) {
    return current != null && current.exchange().onRequestBodyIdle(idleSeconds);
  }

  /**
   * After a 101: removes every HTTP handler, this one included, leaving the raw connection to
   * {@code successor}. Bytes the codec still held pass to the successor.
   */
  void handOver(io.netty.channel.ChannelHandler successor) {
    current = null;
    closing = true;
    ChannelPipeline p = ctx.pipeline();
    p.addLast(HandlerNames.TUNNEL, successor);
    p.remove(this);
    p.remove(HandlerNames.FLOW_CONTROL);
    p.remove(HandlerNames.HTTP1_EXPECT_CONTINUE);
    p.remove(HandlerNames.HTTP1_CODEC);
    if (timeouts != null) {
      p.remove(timeouts);
    }
  }
}
