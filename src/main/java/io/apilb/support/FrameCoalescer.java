package io.apilb.support;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.Arrays;

/**
 * Gathers the small buffers an HTTP/2 codec writes between two flushes (a frame header, an HPACK
 * block, a short DATA payload: each one write with its own promise) into one buffer with one
 * promise, before they reach the TLS handler. The TLS handler queues every write with a listener
 * that forwards its promise, and adds those listeners to the promise of each record it writes; at
 * a few frames per request that bookkeeping was some 8 % of the proxy's CPU samples, more than
 * copying a few hundred bytes costs.
 *
 * <p>Every promise still completes when its bytes were written to the socket (or failed): the
 * gathered buffer's promise completes them all, in order. A buffer larger than {@value
 * #COPY_LIMIT} bytes, or anything not a buffer, passes as it is, after what was gathered before
 * it. The gathered bytes go on at a flush, before a close (so that the TLS handler, as without
 * this handler, decides what is sent before its close_notify), and when they reach {@value
 * #MAX_GATHERED} bytes (a TLS record's worth). Event loop only; one per connection.
 *
 * <p>Until they go on, the gathered bytes (at most {@value #MAX_GATHERED}, held only until the
 * next flush) are outside the outbound buffer's count that {@code Channel.isWritable()} is
 * computed from, so writability lags the writes by at most that much; FrameCoalescerWritabilityTest
 * pins this bound.
 */
public final class FrameCoalescer extends ChannelOutboundHandlerAdapter {
  /** Larger buffers (DATA of a big list, a watch's burst) are not worth a copy. */
  static final int COPY_LIMIT = 2048;
  /** A TLS record's payload: more is written on as it is. */
  static final int MAX_GATHERED = 16 * 1024;
  private static final int INITIAL_CAPACITY = 1024;

  private ByteBuf gathered;
  private ChannelPromise[] promises = new ChannelPromise[8];
  private int promiseCount;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf buf) || buf.readableBytes() > COPY_LIMIT) {
      writeGathered(ctx);
      ctx.write(msg, promise);
      return;
    }
    try {
      if (gathered == null) {
        gathered = ctx.alloc().directBuffer(Math.max(INITIAL_CAPACITY, buf.readableBytes()));
      }
      gathered.writeBytes(buf);
    } catch (Throwable t) {
      promise.tryFailure(t);
      return;
    } finally {
      buf.release();
    }
    if (!promise.isVoid()) {
      addPromise(promise);
    }
    if (gathered.readableBytes() >= MAX_GATHERED) {
      writeGathered(ctx);
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    writeGathered(ctx);
    ctx.flush();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    writeGathered(ctx);
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    writeGathered(ctx);
  }

  /** Hands what was gathered to the next handler, with one promise for all the writes in it. */
  private void writeGathered(ChannelHandlerContext ctx) {
    ByteBuf b = gathered;
    if (b == null) {
      return;
    }
    gathered = null;
    int n = promiseCount;
    if (n == 0) {
      ctx.write(b, ctx.voidPromise());
    } else if (n == 1) {
      ChannelPromise only = promises[0];
      promises[0] = null;
      promiseCount = 0;
      ctx.write(b, only);
    } else {
      ChannelPromise[] all = Arrays.copyOf(promises, n);
      Arrays.fill(promises, 0, n, null);
      promiseCount = 0;
      ctx.write(b).addListener(new CompleteAll(all));
    }
  }

  private void addPromise(ChannelPromise p) {
    if (promiseCount == promises.length) {
      promises = Arrays.copyOf(promises, promiseCount * 2);
    }
    promises[promiseCount++] = p;
  }

  /** Completes the promises of the gathered writes as their one write completed. */
  private record CompleteAll(ChannelPromise[] promises) implements ChannelFutureListener {
    @Override
    public void operationComplete(ChannelFuture f) {
      Throwable cause = f.cause();
      for (ChannelPromise p : promises) {
        if (cause == null) {
          p.trySuccess();
        } else {
          p.tryFailure(cause);
        }
      }
    }
  }
}
