package io.apilb.frontend.http2;

import io.netty.buffer.ByteBuf;

/**
 * Follows the frame boundaries of a client's HTTP/2 byte stream without consuming or copying it:
 * skips the 24-byte connection preface, reads each 9-byte frame header (RFC 9113 §4.1) and skips
 * the payload by count. It reports only what {@link Http2Timeouts} needs and Netty's decoder does
 * not tell: a header block begun and ended, and DATA per stream as it arrives.
 */
final class Http2FrameScanner {
  interface Listener {
    /** HEADERS without END_HEADERS: CONTINUATION frames must follow. */
    void headerBlockStarted();

    /** A HEADERS or CONTINUATION frame with END_HEADERS. */
    void headerBlockEnded();

    void data(int streamId);
  }

  private static final int PREFACE_LENGTH = 24;
  private static final int FRAME_HEADER_LENGTH = 9;
  private static final int TYPE_DATA = 0x0;
  private static final int TYPE_HEADERS = 0x1;
  private static final int TYPE_CONTINUATION = 0x9;
  private static final int FLAG_END_HEADERS = 0x4;

  private final Listener listener;
  private int prefaceLeft = PREFACE_LENGTH;
  /** Payload bytes of the current frame still to skip. */
  private int skip;
  private final byte[] header = new byte[FRAME_HEADER_LENGTH];
  private int headerLength;

  Http2FrameScanner(Listener listener) {
    this.listener = listener;
  }

  void scan(ByteBuf buf) {
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    if (prefaceLeft > 0) {
      int n = Math.min(prefaceLeft, end - i);
      prefaceLeft -= n;
      i += n;
    }
    while (i < end) {
      if (skip > 0) {
        int n = Math.min(skip, end - i);
        skip -= n;
        i += n;
        continue;
      }
      header[headerLength++] = buf.getByte(i++);
      if (headerLength == FRAME_HEADER_LENGTH) {
        headerLength = 0;
        frame();
      }
    }
  }

  private void frame() {
    skip = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
    int type = header[3] & 0xff;
    boolean endHeaders = (header[4] & FLAG_END_HEADERS) != 0;
    int streamId = (header[5] & 0x7f) << 24 | (header[6] & 0xff) << 16 | (header[7] & 0xff) << 8 | (header[8] & 0xff);
    switch (type) {
      case TYPE_HEADERS -> {
        if (endHeaders) {
          listener.headerBlockEnded();
        } else {
          listener.headerBlockStarted();
        }
      }
      case TYPE_CONTINUATION -> {
        if (endHeaders) {
          listener.headerBlockEnded();
        }
      }
      case TYPE_DATA -> listener.data(streamId);
      default -> { }
    }
  }
}
