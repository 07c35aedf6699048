package io.apilb.support;

import static io.apilb.support.FrameCoalescer.COPY_LIMIT;
import static io.apilb.support.FrameCoalescer.MAX_GATHERED;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What Channel.isWritable() tells the proxy's backpressure while the coalescer holds bytes. The
 * gathered bytes are outside the ChannelOutboundBuffer's pending count until they are written on
 * (at the flush, or at {@link FrameCoalescer#MAX_GATHERED}), so between a write and its flush the
 * channel can report writable with up to MAX_GATHERED bytes more than its count; once written on,
 * every byte counts. The water marks (1 KiB / 4 KiB) are far below MAX_GATHERED, so the window
 * shows.
 */
class FrameCoalescerWritabilityTest {
  private static final int LOW_WATER = 1024;
  private static final int HIGH_WATER = 4096;

  /**
   * An embedded channel whose socket takes nothing until {@link #drainSocket}. EmbeddedChannel's
   * own doWrite moves every flushed message to its outbound queue during the flush, so its
   * outbound buffer is empty again right after every flush and the channel could never stay
   * unwritable. Here flushed messages stay in the ChannelOutboundBuffer, counted, as they do on a
   * real channel whose socket send buffer is full.
   */
  private static final class StalledSocketChannel extends EmbeddedChannel {
    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
      // The socket is full: what is flushed waits.
    }

    /** The socket takes everything flushed so far (not what was written and not yet flushed). */
    void drainSocket() throws Exception {
      super.doWrite(unsafe().outboundBuffer());
    }

    /**
     * The bytes the channel's writability is computed from: the messages' bytes plus a fixed
     * bookkeeping charge per message (96 by default, a Netty property), hence the tests' "at
     * least" where they compare it with bytes handed on.
     */
    long pendingBytes() {
      return unsafe().outboundBuffer().totalPendingWriteBytes();
    }
  }

  /** Stands where the TLS handler is: what the coalescer hands on towards the outbound buffer. */
  private static final class Meter extends ChannelOutboundHandlerAdapter {
    final List<Integer> sizes = new ArrayList<>();
    long bytes;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      int size = ((ByteBuf) msg).readableBytes();
      sizes.add(size);
      bytes += size;
      ctx.write(msg, promise);
    }
  }

  /** Records each writability change, with how many bytes had been handed on when it came. */
  private final class WritabilityLog extends ChannelInboundHandlerAdapter {
    final List<String> changes = new ArrayList<>();
    /** Written from the first change to unwritable, as a handler reacting to it might. */
    ByteBuf writeOnUnwritable;
    ChannelFuture reactionWrite;

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      boolean writable = ctx.channel().isWritable();
      changes.add((writable ? "writable" : "unwritable") + " at " + meter.bytes);
      if (!writable && writeOnUnwritable != null) {
        ByteBuf b = writeOnUnwritable;
        writeOnUnwritable = null;
        reactionWrite = ctx.write(b);
      }
    }
  }

  private final StalledSocketChannel ch = new StalledSocketChannel();
  private final Meter meter = new Meter();
  private final WritabilityLog log = new WritabilityLog();

  @BeforeEach
  void setUp() {
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(LOW_WATER, HIGH_WATER));
    // Outbound runs tail to head: coalescer, then the meter, then the outbound buffer.
    ch.pipeline().addLast(meter, new FrameCoalescer(), log);
  }

  @AfterEach
  void tearDown() {
    // The close fails and releases what is still in the outbound buffer; the queue is released.
    ch.finishAndReleaseAll();
  }

  /** {@code size} bytes of {@code fill}, so that the order of the bytes written on shows. */
  private static ByteBuf filled(int size, char fill) {
    byte[] bytes = String.valueOf(fill).repeat(size).getBytes(StandardCharsets.US_ASCII);
    return Unpooled.wrappedBuffer(bytes);
  }

  /** The next message the socket took, as runs such as "c200 d300", released. */
  private String takeFromSocket() {
    ByteBuf b = ch.readOutbound();
    try {
      StringBuilder runs = new StringBuilder();
      int i = b.readerIndex();
      while (i < b.writerIndex()) {
        byte fill = b.getByte(i);
        int start = i;
        while (i < b.writerIndex() && b.getByte(i) == fill) {
          i++;
        }
        runs.append(runs.isEmpty() ? "" : " ").append((char) fill).append(i - start);
      }
      return runs.toString();
    } finally {
      b.release();
    }
  }

  @Test
  void smallWritesAboveTheHighWaterMarkLeaveTheChannelWritableUntilTheFlush() {
    for (int i = 0; i < 7; i++) {
      ch.write(filled(COPY_LIMIT, 'a'));
    }

    // 14,336 bytes written, 3.5 times the high water mark, and none of them counted yet.
    assertThat(meter.bytes).isZero();
    assertThat(ch.pendingBytes()).isZero();
    assertThat(ch.isWritable()).isTrue();
    assertThat(log.changes).isEmpty();

    ch.flush();

    assertThat(meter.sizes).containsExactly(7 * COPY_LIMIT);
    assertThat(ch.pendingBytes()).isGreaterThanOrEqualTo(7 * COPY_LIMIT);
    assertThat(ch.isWritable()).isFalse();
    assertThat(log.changes).containsExactly("unwritable at 14336");
  }

  @Test
  void theBytesNotYetCountedStayBelowMaxGatheredHoweverManyWritesComeWithoutAFlush() {
    long written = 0;
    long mostHeld = 0;
    for (int i = 0; i < 1000; i++) {
      int size = 1 + (i * 7919) % COPY_LIMIT; // 1 to COPY_LIMIT bytes, in no particular order
      ch.write(filled(size, 'a'));
      written += size;
      long held = written - meter.bytes;
      // Tighter than MAX_GATHERED + COPY_LIMIT: a write that takes the gathered bytes to
      // MAX_GATHERED hands them on before it returns.
      assertThat(held).as("held after write %d", i).isBetween(0L, MAX_GATHERED - 1L);
      assertThat(ch.pendingBytes()).isGreaterThanOrEqualTo(meter.bytes);
      mostHeld = Math.max(mostHeld, held);
    }

    // The window is really used (the bound is not met by handing everything on at once) ...
    assertThat(mostHeld).isGreaterThan(MAX_GATHERED - COPY_LIMIT);
    // ... and each write-on carries from MAX_GATHERED to MAX_GATHERED + COPY_LIMIT - 1 bytes
    // (58 of them for these 1,000 writes).
    assertThat(meter.sizes).hasSize(58).allSatisfy(size ->
        assertThat(size).isBetween(MAX_GATHERED, MAX_GATHERED + COPY_LIMIT - 1));
    assertThat(log.changes).containsExactly("unwritable at " + meter.sizes.get(0));

    ch.flush();

    assertThat(meter.bytes).as("a flush leaves nothing uncounted").isEqualTo(written);
    assertThat(ch.pendingBytes()).isGreaterThanOrEqualTo(written);
    assertThat(ch.isWritable()).isFalse();
  }

  @Test
  void afterAFlushWritabilityCountsEveryGatheredByte() throws Exception {
    List<ChannelFuture> promises = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      promises.add(ch.write(filled(1000, 'a')));
    }
    ch.flush();

    assertThat(ch.pendingBytes()).isGreaterThanOrEqualTo(3000);
    assertThat(ch.isWritable()).as("3,000 bytes and bookkeeping, under 4 KiB").isTrue();

    for (int i = 0; i < 2; i++) {
      promises.add(ch.write(filled(1000, 'b')));
    }
    long beforeTheFlush = ch.pendingBytes();

    assertThat(ch.isWritable()).as("5,000 bytes written, 2,000 of them held").isTrue();

    ch.flush();

    assertThat(ch.pendingBytes() - beforeTheFlush).isGreaterThanOrEqualTo(2000);
    assertThat(ch.isWritable()).isFalse();
    assertThat(log.changes).containsExactly("unwritable at 5000");
    assertThat(promises).noneMatch(ChannelFuture::isDone);

    ch.drainSocket();

    assertThat(ch.pendingBytes()).isZero();
    assertThat(ch.isWritable()).isTrue();
    assertThat(log.changes).containsExactly("unwritable at 5000", "writable at 5000");
    assertThat(promises).allMatch(ChannelFuture::isSuccess);
    assertThat(takeFromSocket()).isEqualTo("a3000");
    assertThat(takeFromSocket()).isEqualTo("b2000");
  }

  @Test
  void writabilityChangesWhenTheGatheredBytesGoOnAtMaxGatheredWithoutAFlush() {
    int writesToMaxGathered = MAX_GATHERED / COPY_LIMIT;
    for (int i = 1; i < writesToMaxGathered; i++) {
      ch.write(filled(COPY_LIMIT, 'a'));
      assertThat(log.changes).as("after write %d", i).isEmpty();
      assertThat(ch.isWritable()).isTrue();
    }

    ch.write(filled(COPY_LIMIT, 'a'));

    assertThat(log.changes).containsExactly("unwritable at 16384");
    assertThat(ch.isWritable()).isFalse();

    // Still unwritable: no second change however much more comes.
    for (int i = 0; i < writesToMaxGathered; i++) {
      ch.write(filled(COPY_LIMIT, 'a'));
    }
    assertThat(meter.sizes).containsExactly(MAX_GATHERED, MAX_GATHERED);
    assertThat(log.changes).hasSize(1);
  }

  @Test
  void whileUnwritableSmallAndLargeWritesKeepTheirOrderAndTheirPromisesCompleteInOrder()
      throws Exception {
    List<ChannelFuture> promises = new ArrayList<>();
    promises.add(ch.writeAndFlush(filled(5000, 'L')));
    assertThat(ch.isWritable()).isFalse();

    promises.add(ch.write(filled(100, 'a')));
    promises.add(ch.write(filled(3000, 'B')));
    promises.add(ch.write(filled(200, 'c')));
    promises.add(ch.write(filled(300, 'd')));
    promises.add(ch.write(filled(COPY_LIMIT + 1, 'E')));
    promises.add(ch.write(filled(COPY_LIMIT, 'f')));
    promises.add(ch.write(filled(1, 'g')));
    ch.flush();

    assertThat(meter.sizes).containsExactly(5000, 100, 3000, 500, 2049, 2049);
    assertThat(promises).noneMatch(ChannelFuture::isDone);
    assertThat(ch.isWritable()).isFalse();

    List<Integer> completed = new ArrayList<>();
    for (int i = 0; i < promises.size(); i++) {
      int index = i;
      promises.get(i).addListener(f -> completed.add(index));
    }
    ch.drainSocket();

    assertThat(completed).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(promises).allMatch(ChannelFuture::isSuccess);
    assertThat(ch.isWritable()).isTrue();
    List<String> taken = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      taken.add(takeFromSocket());
    }
    assertThat(taken).containsExactly("L5000", "a100", "B3000", "c200 d300", "E2049", "f2048 g1");
    assertThat((Object) ch.readOutbound()).isNull();
  }

  @Test
  void aWriteMadeOnTheChangeToUnwritableLandsAfterTheLargeWriteThatHandedTheGatheredBytesOn()
      throws Exception {
    ch.writeAndFlush(filled(3900, 'p'));
    assertThat(ch.isWritable()).isTrue();
    log.writeOnUnwritable = filled(5, 'X');

    // A frame whose header is gathered and whose payload passes as it is: handing the header on
    // crosses the high water mark, and the write made from that change must not split the frame.
    ch.write(filled(500, 'h'));
    ch.write(filled(3000, 'P'));
    ch.flush();
    ch.drainSocket();

    assertThat(log.changes).containsExactly("unwritable at 4400", "writable at 7405");
    assertThat(log.reactionWrite.isSuccess()).isTrue();
    assertThat(takeFromSocket()).isEqualTo("p3900");
    assertThat(takeFromSocket()).isEqualTo("h500");
    assertThat(takeFromSocket()).isEqualTo("P3000");
    assertThat(takeFromSocket()).isEqualTo("X5");
  }
}
