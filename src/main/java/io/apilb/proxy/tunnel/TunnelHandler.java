package io.apilb.proxy.tunnel;

import io.apilb.support.Channels;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of an upgrade's byte tunnel (exec, attach, port-forward over SPDY or WebSocket): bytes
 * read here are written to the other end, and the next read is asked for only once that write
 * succeeded, so neither side outruns the other. Auto-read is off on both channels, which share an
 * event loop. When either side closes, the other closes after flushing what it was sent.
 *
 * <p>Bytes that arrive while the connections are still being handed over (what the HTTP codecs
 * held when they were removed) wait here until {@link #start} runs.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(TunnelHandler.class);

  private final String side;
  /** On the backend end of a watch: what the client may get of the backend's bytes; null otherwise. */
  private final BackendTap tap;
  private TunnelHandler peer;
  private ChannelHandlerContext ctx;
  private ArrayDeque<ByteBuf> early = new ArrayDeque<>(1);

  TunnelHandler(String side, BackendTap tap) {
    this.side = side;
    this.tap = tap;
  }

  void pairWith(TunnelHandler other) {
    this.peer = other;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Puts {@code handler} just before this one (the tunnel's idle timer on the client side). */
  void addBefore(String name, ChannelHandler handler) {
    ctx.pipeline().addBefore(ctx.name(), name, handler);
  }

  /** Both ends are in place: passes on what arrived early and starts reading. */
  void start() {
    ArrayDeque<ByteBuf> waiting = early;
    early = null;
    ByteBuf b;
    while ((b = waiting.poll()) != null) {
      peer.ctx.write(tap == null ? b : tap.fromBackend(b), peer.ctx.voidPromise());
    }
    peer.ctx.flush();
    if (!ctx.channel().isActive()) {
      peer.closeAfterFlush(tap == null ? null : tap.lastWords(ctx.alloc()));
    }
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = toBytes(msg);
    if (bytes != null && early != null) {
      early.add(bytes);
      return;
    }
    if (bytes != null && tap != null) {
      bytes = tap.fromBackend(bytes);
    }
    if (bytes == null || !bytes.isReadable()) {
      ReferenceCountUtil.release(bytes);
      ctx.read();
      return;
    }
    peer.ctx.writeAndFlush(bytes).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        ctx.read();
      } else {
        f.channel().close();
      }
    });
    if (tap != null && tap.endDue()) {
      ctx.close(); // channelInactive gives the client its last words
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (early == null) {
      // the other end gets what it was sent (and a watch's close frame), then closes
      peer.closeAfterFlush(tap == null ? null : tap.lastWords(ctx.alloc()));
    }
    if (tap != null) {
      tap.closed();
    } else if (peer.tap != null) {
      peer.tap.closed();
    }
    ctx.fireChannelInactive();
  }

  /** Closes this end now (a watch ended between events); the client gets its last words. */
  void close() {
    if (ctx != null) {
      ctx.close();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      log.debug("tunnel idle on {} ({}), closing", ctx.channel(), side);
      ctx.close(); // channelInactive closes the other end
      return;
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("tunnel {} side {} failed: {}", side, ctx.channel(), cause.toString());
    ctx.close();
  }

  private void closeAfterFlush(ByteBuf lastWords) {
    if (ctx == null) {
      ReferenceCountUtil.release(lastWords);
      return;
    }
    if (lastWords != null && ctx.channel().isActive()) {
      ctx.write(lastWords, ctx.voidPromise());
    } else {
      ReferenceCountUtil.release(lastWords);
    }
    Channels.closeOnFlush(ctx.channel());
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (early != null) {
      early.forEach(ByteBuf::release);
      early.clear();
    }
  }

  /** Raw bytes from a message seen after a switch (a decoder being removed may still emit a last HttpContent). */
  private static ByteBuf toBytes(Object msg) {
    ByteBuf b = msg instanceof HttpContent c ? c.content() : msg instanceof ByteBuf buf ? buf : null;
    if (b == null) {
      ReferenceCountUtil.release(msg);
      return null;
    }
    if (!b.isReadable()) {
      b.release();
      return null;
    }
    return b;
  }
}
