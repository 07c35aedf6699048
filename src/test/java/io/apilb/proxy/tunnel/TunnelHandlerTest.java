package io.apilb.proxy.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.backend.pool.ConnectionKind;
import io.apilb.proxy.ClientSide;
import io.apilb.proxy.ConnectionFacts;
import io.apilb.support.HandlerNames;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendConnector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two embedded channels joined by a pair of tunnel ends, as after a 101. */
class TunnelHandlerTest {
  /** Counts read() calls from the tunnel end to its channel. */
  private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
    int reads;

    @Override
    public void read(ChannelHandlerContext ctx) {
      reads++;
      ctx.read();
    }
  }

  /** Holds writes (a peer that is slow to take bytes) until {@link #pass}. */
  private static final class HeldWrites extends ChannelOutboundHandlerAdapter {
    final List<Object> msgs = new ArrayList<>();
    final List<ChannelPromise> promises = new ArrayList<>();
    ChannelHandlerContext ctx;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      this.ctx = ctx;
      msgs.add(msg);
      promises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {}

    void pass() {
      for (int i = 0; i < msgs.size(); i++) {
        ctx.write(msgs.get(i), promises.get(i));
      }
      msgs.clear();
      promises.clear();
      ctx.flush();
    }
  }

  private final TunnelHandler clientEnd = new TunnelHandler("client", null);
  private final TunnelHandler backendEnd = new TunnelHandler("backend", null);
  private final ReadCounter clientReads = new ReadCounter();
  private final EmbeddedChannel client = channel(clientReads, clientEnd);
  private final EmbeddedChannel backend = channel(new ReadCounter(), backendEnd);

  TunnelHandlerTest() {
    clientEnd.pairWith(backendEnd);
    backendEnd.pairWith(clientEnd);
  }

  private static EmbeddedChannel channel(ChannelHandler before, TunnelHandler end) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAutoRead(false);
    ch.pipeline().addLast("before", before).addLast(HandlerNames.TUNNEL, end);
    return ch;
  }

  @AfterEach
  void tearDown() {
    client.finishAndReleaseAll();
    backend.finishAndReleaseAll();
  }

  private void startBoth() {
    clientEnd.start();
    backendEnd.start();
  }

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private static String out(EmbeddedChannel ch) {
    ch.runPendingTasks();
    StringBuilder b = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      ByteBuf buf = (ByteBuf) o;
      b.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    return b.toString();
  }

  @Test
  void bytesThatArriveBeforeStartAreHeldThenPassedOn() {
    client.writeInbound(bytes("early from client"));
    backend.writeInbound(bytes("early from backend"));
    assertThat(out(backend)).isEmpty();
    assertThat(out(client)).isEmpty();

    startBoth();

    assertThat(out(backend)).isEqualTo("early from client");
    assertThat(out(client)).isEqualTo("early from backend");
  }

  @Test
  void relaysBytesBothWaysAndTheContentOfAnHttpMessageTheRemovedCodecLetThrough() {
    startBoth();
    client.writeInbound(bytes("ping"));
    backend.writeInbound(bytes("pong"));
    client.writeInbound(new DefaultLastHttpContent(bytes("tail")), LastHttpContent.EMPTY_LAST_CONTENT);

    assertThat(out(backend)).isEqualTo("pingtail");
    assertThat(out(client)).isEqualTo("pong");
  }

  @Test
  void readsTheNextBytesOnlyOnceThePeerTookTheLast() {
    HeldWrites held = new HeldWrites();
    backend.pipeline().addFirst(held);
    startBoth();
    int reads = clientReads.reads;

    client.writeInbound(bytes("one"));
    assertThat(clientReads.reads).isEqualTo(reads); // the backend has not taken "one" yet

    held.pass();
    assertThat(clientReads.reads).isEqualTo(reads + 1);
    assertThat(out(backend)).isEqualTo("one");
  }

  @Test
  void oneSideClosingClosesTheOtherAfterFlushingWhatItWasSent() {
    startBoth();
    backend.write(bytes("unflushed")); // written to the backend, not flushed yet
    client.writeInbound(bytes("bye"));

    client.close();
    backend.runPendingTasks();

    assertThat(backend.isOpen()).isFalse();
    assertThat(out(backend)).isEqualTo("unflushedbye");
  }

  @Test
  void theBackendClosingClosesTheClient() {
    startBoth();
    backend.writeInbound(bytes("exit 0"));

    backend.close();
    client.runPendingTasks();

    assertThat(client.isOpen()).isFalse();
    assertThat(out(client)).isEqualTo("exit 0");
  }

  @Test
  void aSideThatClosedBeforeStartClosesTheOtherAtStartAfterItsEarlyBytes() {
    // The client's connection dies during the hand-over. On a real channel its inactive event and
    // the handlers' removal are still queued on the event loop when start runs (EmbeddedChannel
    // would run them at once), so only isActive() tells.
    boolean[] dead = {false};
    EmbeddedChannel dying = new EmbeddedChannel() {
      @Override
      public boolean isActive() {
        return !dead[0] && super.isActive();
      }
    };
    TunnelHandler dyingEnd = new TunnelHandler("client", null);
    dyingEnd.pairWith(backendEnd);
    backendEnd.pairWith(dyingEnd);
    dying.pipeline().addLast(HandlerNames.TUNNEL, dyingEnd);
    dying.writeInbound(bytes("last words"));
    dead[0] = true;

    dyingEnd.start();
    backendEnd.start();
    backend.runPendingTasks();

    assertThat(out(backend)).isEqualTo("last words");
    assertThat(backend.isOpen()).isFalse();
    dying.finishAndReleaseAll();
  }

  @Test
  void earlyBytesAreReleasedWhenTheTunnelNeverStarts() {
    ByteBuf early = bytes("never sent");
    client.writeInbound(early);

    client.finishAndReleaseAll();

    assertThat(early.refCnt()).isZero();
  }

  @Test
  void anIdleEventClosesBothSides() {
    startBoth();

    client.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    backend.runPendingTasks();

    assertThat(client.isOpen()).isFalse();
    assertThat(backend.isOpen()).isFalse();
  }

  @Test
  void openInstallsTheIdleTimerSoASilentTunnelCloses() {
    EmbeddedChannel clientConnection = new EmbeddedChannel();
    BackendEntry entry = new BackendEntry(new Backend("cp1", "10.0.0.1", 6443, Optional.empty()),
        BackendState.initial(Instant.EPOCH), new BackendStats());
    FakeBackendAttempt attempt = (FakeBackendAttempt) new FakeBackendConnector()
        .attempt(clientConnection.eventLoop(), entry, ConnectionKind.NO_CLIENT_CERT, true).getNow();

    Tunnel tunnel = new Tunnel(Duration.ofSeconds(30), null);
    new SwitchingClient(clientConnection).switchProtocols(null, tunnel.clientEnd());
    attempt.handOver(tunnel.backendEnd());
    tunnel.start();
    assertThat(clientConnection.pipeline().names()).containsSubsequence(HandlerNames.TUNNEL_IDLE, HandlerNames.TUNNEL);
    clientConnection.writeInbound(bytes("keystroke"));
    assertThat(out(attempt.wire())).isEqualTo("keystroke");

    clientConnection.advanceTimeBy(29, TimeUnit.SECONDS);
    clientConnection.runScheduledPendingTasks();
    assertThat(clientConnection.isOpen()).isTrue();
    clientConnection.advanceTimeBy(2, TimeUnit.SECONDS);
    clientConnection.runScheduledPendingTasks();
    attempt.wire().runPendingTasks();

    assertThat(clientConnection.isOpen()).isFalse();
    assertThat(attempt.wire().isOpen()).isFalse();
    clientConnection.finishAndReleaseAll();
    attempt.wire().finishAndReleaseAll();
  }

  /** A client side that only knows how to hand its connection over. */
  private record SwitchingClient(EmbeddedChannel ch) implements ClientSide {
    @Override
    public void switchProtocols(HttpResponse backendHead, ChannelHandler successor) {
      ch.pipeline().addLast(HandlerNames.TUNNEL, successor);
    }

    @Override
    public ConnectionFacts facts() {
      throw new UnsupportedOperationException();
    }

    @Override
    public EventLoop eventLoop() {
      return ch.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
      return ch.alloc();
    }

    @Override
    public boolean isOpen() {
      return ch.isActive();
    }

    @Override
    public boolean isWritable() {
      return ch.isWritable();
    }

    @Override
    public void read() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void writeResponseHead(HttpResponse backendHead, HttpMethod requestMethod, boolean endOfResponse) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void writeContent(HttpContent content) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void flush() {
      ch.flush();
    }

    @Override
    public void responseEnded(boolean requestComplete) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void respond(FullHttpResponse response, boolean requestComplete) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void abort() {
      ch.close();
    }
  }
}
