package io.apilb.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the TLS handler's place in the pipeline receives from an HTTP/2 codec's writes through the
 * coalescer (a recording handler stands in for it): the bytes in order, one write per flush for
 * small frames, larger buffers and other messages as they are, and every promise completed by
 * the write that carried its bytes, success or failure.
 */
class FrameCoalescerTest {
  /** Records every write that reaches it (as text, or the object) and completes it, or fails it. */
  private static final class Next extends ChannelOutboundHandlerAdapter {
    final List<Object> writes = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    final List<ChannelPromise> held = new ArrayList<>();
    IOException failWith;
    boolean hold;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf b) {
        writes.add(b.toString(StandardCharsets.US_ASCII));
        events.add("write " + b.readableBytes());
      } else {
        writes.add(msg);
        events.add("write " + msg);
      }
      ReferenceCountUtil.release(msg);
      if (failWith != null) {
        promise.tryFailure(failWith);
      } else if (hold) {
        held.add(promise);
      } else {
        promise.trySuccess();
      }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
      events.add("close");
      ctx.close(promise);
    }
  }

  private final Next next = new Next();
  private final EmbeddedChannel ch = new EmbeddedChannel(next, new FrameCoalescer());

  @AfterEach
  void tearDown() {
    ch.finishAndReleaseAll();
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  @Test
  void smallWritesBetweenFlushesReachTheNextHandlerAsOneWriteInOrder() {
    ChannelFuture header = ch.write(text("HEAD"));
    ChannelFuture block = ch.write(text("ers;"));
    ChannelFuture data = ch.write(text("data"));

    assertThat(next.writes).as("nothing before the flush").isEmpty();
    assertThat(header.isDone()).isFalse();

    ch.flush();

    assertThat(next.writes).containsExactly("HEADers;data");
    assertThat(header.isSuccess()).isTrue();
    assertThat(block.isSuccess()).isTrue();
    assertThat(data.isSuccess()).isTrue();
  }

  @Test
  void thePromisesCompleteOnlyWhenTheGatheredWriteDoes() {
    next.hold = true;
    ChannelFuture a = ch.write(text("a"));
    ChannelFuture b = ch.write(text("b"));
    ch.flush();

    assertThat(next.held).hasSize(1);
    assertThat(a.isDone()).as("the bytes are not written yet").isFalse();
    assertThat(b.isDone()).isFalse();

    next.held.get(0).setSuccess();

    assertThat(a.isSuccess()).isTrue();
    assertThat(b.isSuccess()).isTrue();
  }

  @Test
  void aFailedWriteFailsEveryPromiseItCarried() {
    next.failWith = new IOException("broken pipe");
    ChannelFuture a = ch.write(text("a"));
    ChannelFuture b = ch.write(text("b"));
    ChannelFuture c = ch.write(text("c"));
    ch.flush();

    for (ChannelFuture f : List.of(a, b, c)) {
      assertThat(f.isDone()).isTrue();
      assertThat(f.cause()).isSameAs(next.failWith);
    }
  }

  @Test
  void aLargeBufferPassesAsItIsAfterWhatWasGatheredBeforeIt() {
    String large = "x".repeat(FrameCoalescer.COPY_LIMIT + 1);
    ch.write(text("frame-header"));
    ChannelFuture payload = ch.write(text(large));
    ch.write(text("next-header"));
    ch.flush();

    assertThat(next.writes).containsExactly("frame-header", large, "next-header");
    assertThat(payload.isSuccess()).isTrue();
  }

  @Test
  void aMessageNotABufferPassesAsItIsInOrder() {
    Object marker = "not-a-buffer";
    ch.write(text("before"));
    ch.write(marker);
    ch.flush();

    assertThat(next.writes).containsExactly("before", marker);
  }

  @Test
  void gatheredBytesGoOnAtARecordsWorthWithoutAFlush() {
    String chunk = "y".repeat(FrameCoalescer.COPY_LIMIT);
    int chunks = FrameCoalescer.MAX_GATHERED / FrameCoalescer.COPY_LIMIT;
    for (int i = 0; i < chunks; i++) {
      ch.write(text(chunk));
    }

    assertThat(next.writes).as("handed on without waiting for a flush").hasSize(1);
    assertThat((String) next.writes.get(0)).hasSize(FrameCoalescer.MAX_GATHERED);
  }

  @Test
  void aCloseHandsTheGatheredBytesOnFirst() {
    ch.write(text("goaway"));
    ch.close();

    assertThat(next.events).containsExactly("write 6", "close");
  }

  @Test
  void voidPromisesAreGatheredToo() {
    ch.write(text("a"), ch.voidPromise());
    ch.write(text("b"), ch.voidPromise());
    ch.flush();

    assertThat(next.writes).containsExactly("ab");
  }

  @Test
  void aWriteAfterTheChannelClosedFailsItsPromiseAndLeaksNothing() {
    ch.close();
    ByteBuf late = text("late");
    ChannelFuture f = ch.writeAndFlush(late);

    assertThat(f.isDone()).isTrue();
    assertThat(f.isSuccess()).isFalse();
    assertThat(late.refCnt()).isZero();
  }
}
