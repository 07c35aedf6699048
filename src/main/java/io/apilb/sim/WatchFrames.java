package io.apilb.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * Turns one encoded watch event into what the channel writes: an HTTP chunk (or HTTP/2 DATA), or
 * one WebSocket message (text for JSON, binary for protobuf, as kube-apiserver's HandleWS picks by
 * the serializer) and, for {@link SimulatedApiserver#dieMidEvent()}, the first half of it only.
 */
final class WatchFrames {
  private static final int WS_TEXT = 1;
  private static final int WS_BINARY = 2;

  private WatchFrames() {}

  /** A protobuf stream frame: the 4-byte big-endian length, then the event (util/framer's length-delimited writer). */
  static byte[] lengthDelimited(byte[] event) {
    byte[] out = new byte[event.length + 4];
    out[0] = (byte) (event.length >>> 24);
    out[1] = (byte) (event.length >>> 16);
    out[2] = (byte) (event.length >>> 8);
    out[3] = (byte) event.length;
    System.arraycopy(event, 0, out, 4, event.length);
    return out;
  }

  static Object whole(byte[] event, boolean websocket, boolean binary) {
    if (!websocket) {
      return new DefaultHttpContent(Unpooled.wrappedBuffer(event));
    }
    return binary ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(event))
        : new TextWebSocketFrame(Unpooled.wrappedBuffer(event));
  }

  /**
   * The first half of the event. Over HTTP, a chunk holding half the event's bytes; over
   * WebSocket, raw bytes past the frame encoder (which passes ByteBufs through): a final,
   * unmasked frame header announcing the whole payload, then only half of it, so the peer holds
   * an incomplete frame when the connection dies.
   */
  static Object firstHalf(byte[] event, boolean websocket, boolean binary) {
    int cut = Math.max(1, event.length / 2);
    if (!websocket) {
      return new DefaultHttpContent(Unpooled.wrappedBuffer(event, 0, cut));
    }
    ByteBuf out = Unpooled.buffer(10 + cut);
    out.writeByte(0x80 | (binary ? WS_BINARY : WS_TEXT));
    if (event.length < 126) {
      out.writeByte(event.length);
    } else if (event.length < 65536) {
      out.writeByte(126).writeShort(event.length);
    } else {
      out.writeByte(127).writeLong(event.length);
    }
    return out.writeBytes(event, 0, cut);
  }
}
