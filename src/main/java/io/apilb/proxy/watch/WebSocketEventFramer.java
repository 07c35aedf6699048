package io.apilb.proxy.watch;

import io.netty.buffer.ByteBuf;

/**
 * WebSocket watch events (a watch URL upgraded to WebSocket, as fabric8 watches): kube-apiserver
 * sends one WebSocket message per event. This reads the server's frame headers (RFC 6455 section
 * 5.2) and skips payloads by count. A message ends with a data frame, or the continuation frame,
 * that has FIN set; control frames (close, ping, pong) are boundaries of their own unless they
 * arrive between the fragments of a message.
 */
public final class WebSocketEventFramer implements EventFramer {
  private enum Part { FIRST, SECOND, EXTENDED_LENGTH, MASK, PAYLOAD }

  private Part part = Part.FIRST;
  private boolean fin;
  private int opcode;
  private boolean masked;
  private int lengthBytesLeft;
  private long remaining;
  private int maskBytesLeft;
  /** A data message's first fragment arrived without FIN: boundaries wait for its last fragment. */
  private boolean inFragmentedMessage;

  @Override
  public int scan(ByteBuf bytes) {
    int i = bytes.readerIndex();
    int end = bytes.writerIndex();
    int lastBoundary = -1;
    while (i < end) {
      switch (part) {
        case FIRST -> {
          int b = bytes.getByte(i++) & 0xFF;
          fin = (b & 0x80) != 0;
          opcode = b & 0x0F;
          part = Part.SECOND;
        }
        case SECOND -> {
          int b = bytes.getByte(i++) & 0xFF;
          masked = (b & 0x80) != 0;
          int len = b & 0x7F;
          remaining = len < 126 ? len : 0;
          lengthBytesLeft = len == 126 ? 2 : len == 127 ? 8 : 0;
          part = lengthBytesLeft > 0 ? Part.EXTENDED_LENGTH : afterLength();
        }
        case EXTENDED_LENGTH -> {
          remaining = (remaining << 8) | (bytes.getByte(i++) & 0xFF);
          if (--lengthBytesLeft == 0) {
            part = afterLength();
          }
        }
        case MASK -> {
          i++;
          if (--maskBytesLeft == 0) {
            part = Part.PAYLOAD;
          }
        }
        case PAYLOAD -> {
          int take = (int) Math.min(remaining, end - i);
          i += take;
          remaining -= take;
        }
      }
      if (part == Part.PAYLOAD && remaining == 0 && frameEndsAMessageOrStandsAlone()) {
        lastBoundary = i;
      }
      if (part == Part.PAYLOAD && remaining == 0) {
        part = Part.FIRST;
      }
    }
    return lastBoundary;
  }

  private Part afterLength() {
    maskBytesLeft = masked ? 4 : 0;
    return masked ? Part.MASK : Part.PAYLOAD;
  }

  /** Called once at the end of each frame: updates the fragmentation state. */
  private boolean frameEndsAMessageOrStandsAlone() {
    boolean control = (opcode & 0x08) != 0;
    if (control) {
      return !inFragmentedMessage;
    }
    inFragmentedMessage = !fin;
    return fin;
  }
}
