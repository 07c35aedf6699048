package io.apilb.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The holding rules, case by case. */
class WholeEventsTest {
  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  private static String text(ByteBuf b) {
    String s = b.toString(StandardCharsets.US_ASCII);
    b.release();
    return s;
  }

  @Test
  void aPartialEventIsHeldUntilItEndsAndDroppedWhenTheBackendGoes() {
    WholeEvents events = new WholeEvents(new JsonEventFramer(), ByteBufAllocator.DEFAULT, 1 << 20);

    assertThat(text(events.pass(ascii("{\"a\":1}\n{\"b\"")))).isEqualTo("{\"a\":1}\n");
    assertThat(events.atBoundary()).isTrue();
    assertThat(text(events.pass(ascii(":2")))).isEmpty();
    assertThat(text(events.pass(ascii("}\n{\"c\":")))).isEqualTo("{\"b\":2}\n");

    ByteBuf partial = ascii("3");
    events.pass(partial);
    events.release(); // the backend died mid-event
    assertThat(partial.refCnt()).as("held bytes are released").isZero();
  }

  @Test
  void anEventOverTheBoundPassesAsItComesAndTheStreamIsNotAtABoundaryMeanwhile() {
    WholeEvents events = new WholeEvents(new JsonEventFramer(), ByteBufAllocator.DEFAULT, 4);

    assertThat(text(events.pass(ascii("{\"x\":")))).isEqualTo("{\"x\":");
    assertThat(events.atBoundary()).isFalse();
    assertThat(text(events.pass(ascii("12")))).isEqualTo("12");
    assertThat(text(events.pass(ascii("}\n{")))).isEqualTo("}\n");
    assertThat(events.atBoundary()).isTrue();
    events.release();
  }

  @Test
  void protobufFramesOfZeroLengthAreEventsToo() {
    ProtobufEventFramer framer = new ProtobufEventFramer();
    ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 0, 0, 0, 2, 7});
    assertThat(framer.scan(b)).isEqualTo(4);
    ByteBuf c = Unpooled.wrappedBuffer(new byte[] {8});
    assertThat(framer.scan(c)).isEqualTo(1);
  }

  @Test
  void aWebSocketCloseFrameBetweenMessagesIsABoundary() {
    WebSocketEventFramer framer = new WebSocketEventFramer();
    ByteBuf text = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 2, 'h', 'i', (byte) 0x88, 2, 0x03, (byte) 0xE8});
    assertThat(framer.scan(text)).isEqualTo(8);
    ByteBuf firstFragment = Unpooled.wrappedBuffer(new byte[] {0x01, 1, 'a', (byte) 0x89, 0});
    assertThat(framer.scan(firstFragment)).as("a ping inside a fragmented message is no boundary").isEqualTo(-1);
    ByteBuf lastFragment = Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 1, 'b'});
    assertThat(framer.scan(lastFragment)).isEqualTo(3);
  }
}
