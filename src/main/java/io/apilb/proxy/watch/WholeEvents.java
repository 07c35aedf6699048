package io.apilb.proxy.watch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Passes a watch stream on whole events only: bytes of an event that has not ended yet are held
 * (as slices of the buffers they came in, never copied) until it ends, so that a stream cut off
 * at any moment has given its client nothing but complete events, and apilb can end it cleanly
 * there. An event larger than {@code maxHeldBytes} is passed on as it comes instead; until the
 * next boundary the stream then cannot be ended cleanly ({@link #atBoundary()} is false).
 *
 * <p>Not thread-safe: one stream, one event loop.
 */
public final class WholeEvents {
  private final EventFramer framer;
  private final ByteBufAllocator alloc;
  private final long maxHeldBytes;
  private CompositeByteBuf held;
  /** The client has received whole events only. */
  private boolean atBoundary = true;
  /** The current event outgrew the bound and passes unheld until it ends. */
  private boolean oversized;

  public WholeEvents(EventFramer framer, ByteBufAllocator alloc, long maxHeldBytes) {
    this.framer = framer;
    this.alloc = alloc;
    this.maxHeldBytes = maxHeldBytes;
  }

  /**
   * Takes {@code in} (the next bytes of the stream) and returns what may go to the client now:
   * possibly an empty buffer. The caller owns the result.
   */
  public ByteBuf pass(ByteBuf in) {
    if (!in.isReadable()) {
      return in;
    }
    int end = framer.scan(in);
    if (end < 0) {
      if (oversized) {
        return in; // the rest of an oversized event
      }
      hold(in);
      return heldTooLong() ? passHeldUnframed() : Unpooled.EMPTY_BUFFER;
    }
    int start = in.readerIndex();
    ByteBuf complete = in.retainedSlice(start, end - start);
    ByteBuf rest = end < in.writerIndex() ? in.retainedSlice(end, in.writerIndex() - end) : null;
    in.release();
    ByteBuf out = takeHeldWith(complete);
    oversized = false;
    atBoundary = true;
    if (rest != null) {
      hold(rest);
      if (heldTooLong()) {
        out = Unpooled.wrappedBuffer(out, passHeldUnframed());
      }
    }
    return out;
  }

  /** What was passed so far ends with a whole event (or nothing was passed). */
  public boolean atBoundary() {
    return atBoundary;
  }

  /** The stream ended cleanly at the backend: the held bytes, passed as they are (null if none). */
  public ByteBuf drain() {
    ByteBuf b = held;
    held = null;
    return b;
  }

  /** Drops the held bytes of an event that will never end (the backend is gone). */
  public void release() {
    if (held != null) {
      held.release();
      held = null;
    }
  }

  private void hold(ByteBuf bytes) {
    if (held == null) {
      held = alloc.compositeBuffer(Integer.MAX_VALUE);
    }
    held.addComponent(true, bytes);
  }

  private boolean heldTooLong() {
    return held != null && held.readableBytes() > maxHeldBytes;
  }

  /** The held start of an oversized event goes now; the rest follows unheld. */
  private ByteBuf passHeldUnframed() {
    oversized = true;
    atBoundary = false;
    ByteBuf b = held;
    held = null;
    return b;
  }

  private ByteBuf takeHeldWith(ByteBuf complete) {
    if (held == null) {
      return complete;
    }
    held.addComponent(true, complete);
    ByteBuf b = held;
    held = null;
    return b;
  }
}
