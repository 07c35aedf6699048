package io.apilb.proxy.watch;

import io.netty.buffer.ByteBuf;

/**
 * Finds where watch events end in one watch stream's bytes, buffer after buffer, without copying
 * them. One instance per stream: it carries the state of an event that spans buffers.
 */
public interface EventFramer {
  /**
   * Scans the readable bytes of {@code bytes}, which continue the stream, and returns the index
   * just after the last event that ends within them, or -1 when none does. Does not move the
   * buffer's indexes.
   */
  int scan(ByteBuf bytes);
}
