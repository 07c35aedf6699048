package io.apilb.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Watch streams in every encoding, cut into buffers at random places: what {@link WholeEvents}
 * passes on always ends at an event boundary, and nothing is lost, duplicated or reordered.
 */
class WholeEventsPropertyTest {
  /** An encoded stream and the offsets where its events end. */
  record Stream(byte[] bytes, List<Integer> boundaries) {}

  static Stream json(Random r, int events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Integer> ends = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      StringBuilder b = new StringBuilder("{\"type\":\"ADDED\",\"object\":{\"data\":\"");
      int n = r.nextInt(r.nextInt(10) == 0 ? 5000 : 60);
      for (int j = 0; j < n; j++) {
        b.append(r.nextBoolean() ? "\\n" : Character.toString('a' + r.nextInt(26)));
      }
      out.writeBytes(b.append("\"}}\n").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      ends.add(out.size());
    }
    return new Stream(out.toByteArray(), ends);
  }

  static Stream protobuf(Random r, int events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Integer> ends = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      int n = r.nextInt(8) == 0 ? 0 : r.nextInt(r.nextInt(10) == 0 ? 70000 : 300);
      out.write(n >>> 24);
      out.write(n >>> 16);
      out.write(n >>> 8);
      out.write(n);
      byte[] payload = new byte[n];
      r.nextBytes(payload);
      out.writeBytes(payload);
      ends.add(out.size());
    }
    return new Stream(out.toByteArray(), ends);
  }

  static Stream webSocket(Random r, int events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Integer> ends = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      if (r.nextInt(6) == 0) {
        frame(out, r, true, 0x9, r.nextInt(10)); // a ping between events is a boundary of its own
        ends.add(out.size());
      }
      int fragments = 1 + r.nextInt(3);
      for (int f = 0; f < fragments; f++) {
        boolean fin = f == fragments - 1;
        int len = r.nextInt(12) == 0 ? 126 + r.nextInt(70000) : r.nextInt(126);
        frame(out, r, fin, f == 0 ? 0x1 + r.nextInt(2) : 0x0, len);
        if (!fin && r.nextInt(4) == 0) {
          frame(out, r, true, 0xA, r.nextInt(5)); // a pong inside a fragmented message is no boundary
        }
      }
      ends.add(out.size());
    }
    return new Stream(out.toByteArray(), ends);
  }

  private static void frame(ByteArrayOutputStream out, Random r, boolean fin, int opcode, int len) {
    boolean masked = r.nextInt(5) == 0;
    out.write((fin ? 0x80 : 0) | opcode);
    int mask = masked ? 0x80 : 0;
    if (len < 126) {
      out.write(mask | len);
    } else if (len < 65536) {
      out.write(mask | 126);
      out.write(len >>> 8);
      out.write(len);
    } else {
      out.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) len >>> shift));
      }
    }
    byte[] rest = new byte[(masked ? 4 : 0) + len];
    r.nextBytes(rest);
    out.writeBytes(rest);
  }

  /** Feeds {@code s} in random pieces; returns the emitted offsets and checks the bytes. */
  private static void check(Stream s, Supplier<EventFramer> framer, long seed, int maxHeld) {
    Random r = new Random(seed);
    WholeEvents events = new WholeEvents(framer.get(), ByteBufAllocator.DEFAULT, maxHeld);
    ByteArrayOutputStream passed = new ByteArrayOutputStream();
    int at = 0;
    while (at < s.bytes().length) {
      int n = Math.min(s.bytes().length - at, 1 + r.nextInt(r.nextBoolean() ? 16 : 9000));
      ByteBuf in = Unpooled.buffer(n + 8);
      in.writerIndex(3).readerIndex(3); // a buffer whose readable bytes do not start at 0
      in.writeBytes(s.bytes(), at, n);
      at += n;
      ByteBuf out = events.pass(in);
      int before = passed.size();
      byte[] b = new byte[out.readableBytes()];
      out.readBytes(b);
      out.release();
      passed.writeBytes(b);
      if (events.atBoundary() && passed.size() > before) {
        assertThat(s.boundaries()).as("passed bytes end at an event boundary").contains(passed.size());
      }
      if (maxHeld >= s.bytes().length) {
        assertThat(events.atBoundary()).as("with room to hold any event, the client sees whole events only").isTrue();
      }
    }
    ByteBuf rest = events.drain();
    if (rest != null) {
      byte[] b = new byte[rest.readableBytes()];
      rest.readBytes(b);
      rest.release();
      passed.writeBytes(b);
    }
    events.release();
    assertThat(passed.toByteArray()).as("nothing lost, duplicated or reordered").isEqualTo(s.bytes());
  }

  @Property(tries = 150)
  void jsonStreamsPassInWholeEvents(@ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int n) {
    check(json(new Random(seed), n), JsonEventFramer::new, seed, Integer.MAX_VALUE);
  }

  @Property(tries = 150)
  void protobufStreamsPassInWholeEvents(@ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int n) {
    check(protobuf(new Random(seed), n), ProtobufEventFramer::new, seed, Integer.MAX_VALUE);
  }

  @Property(tries = 150)
  void webSocketStreamsPassInWholeMessages(@ForAll long seed, @ForAll @IntRange(min = 1, max = 30) int n) {
    check(webSocket(new Random(seed), n), WebSocketEventFramer::new, seed, Integer.MAX_VALUE);
  }

  @Property(tries = 100)
  void oversizedEventsPassAsTheyComeAndFramingResumesAfterThem(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 30) int n, @ForAll @IntRange(min = 1, max = 4000) int maxHeld) {
    Random r = new Random(seed);
    check(protobuf(r, n), ProtobufEventFramer::new, seed, maxHeld);
    check(webSocket(r, n), WebSocketEventFramer::new, seed, maxHeld);
    check(json(r, n), JsonEventFramer::new, seed, maxHeld);
  }
}
