package io.apilb.proxy.watch;

import io.netty.buffer.ByteBuf;

/**
 * Protobuf watch events ({@code application/vnd.kubernetes.protobuf;stream=watch}): each a 4-byte
 * big-endian length followed by that many bytes (apimachinery's length-delimited framer), the
 * payload a {@code WatchEvent}. Payload bytes are skipped by count, never looked at.
 */
public final class ProtobufEventFramer implements EventFramer {
  private static final int HEADER_BYTES = 4;

  /** Bytes of the current frame's length header seen so far (4: the payload is under way). */
  private int headerSeen;
  private long length;
  private long remaining;

  @Override
  public int scan(ByteBuf bytes) {
    int i = bytes.readerIndex();
    int end = bytes.writerIndex();
    int lastBoundary = -1;
    while (i < end) {
      if (headerSeen < HEADER_BYTES) {
        length = (length << 8) | (bytes.getByte(i++) & 0xFF);
        if (++headerSeen == HEADER_BYTES) {
          remaining = length;
          if (remaining == 0) {
            lastBoundary = i;
            nextFrame();
          }
        }
        continue;
      }
      int take = (int) Math.min(remaining, end - i);
      i += take;
      remaining -= take;
      if (remaining == 0) {
        lastBoundary = i;
        nextFrame();
      }
    }
    return lastBoundary;
  }

  private void nextFrame() {
    headerSeen = 0;
    length = 0;
  }
}
