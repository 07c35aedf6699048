package io.apilb.sim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A protobuf wire-format writer: varints and length-delimited fields appended in call order.
 * Nested messages are written into their own writer first and then embedded, which costs a copy
 * but keeps the encoder readable; the simulator's objects are small.
 */
final class ProtobufWriter {
  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;

  private byte[] buf = new byte[64];
  private int len;

  /** A varint field (int32, int64, bool), written even when zero. */
  ProtobufWriter varint(int field, long value) {
    rawVarint(((long) field << 3) | VARINT);
    rawVarint(value);
    return this;
  }

  /** A string field, written even when empty (as gogo-protobuf does for Kubernetes' non-pointer strings). */
  ProtobufWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  ProtobufWriter bytes(int field, byte[] value) {
    rawVarint(((long) field << 3) | LENGTH_DELIMITED);
    rawVarint(value.length);
    raw(value);
    return this;
  }

  ProtobufWriter message(int field, ProtobufWriter message) {
    return bytes(field, message.toByteArray());
  }

  /** A {@code map<string, string>} entry (key 1, value 2), as protobuf encodes maps. */
  ProtobufWriter mapEntry(int field, String key, byte[] value) {
    return message(field, new ProtobufWriter().string(1, key).bytes(2, value));
  }

  /** Appends bytes as they are (no tag). */
  ProtobufWriter raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    return this;
  }

  private void rawVarint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }
}
