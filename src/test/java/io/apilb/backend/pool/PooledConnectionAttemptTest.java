package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import io.apilb.support.HandlerNames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An attempt on one pooled backend connection (an embedded channel with the backend pipeline's
 * codec and relay): the backend's counters end exactly once whatever ends the attempt, the relay
 * reaches the listener only while attached, and a hand-over leaves the raw connection to its
 * successor.
 */
class PooledConnectionAttemptTest {
  private final BackendStats stats = new BackendStats();
  private final BackendEntry entry = new BackendEntry(new Backend("cp1", "10.0.0.1", 6443, Optional.empty()),
      BackendState.initial(Instant.EPOCH), stats);
  private final EmbeddedChannel ch = new EmbeddedChannel();
  private final PoolSettings settings = new PoolSettings(Duration.ofSeconds(3), Duration.ofSeconds(60), 8, 32768,
      Duration.ZERO);
  private final BackendPool pool;
  private final Recorder listener = new Recorder();

  /** Records what the relay passes (releasing the messages, as their owner). */
  private static final class Recorder implements BackendAttempt.Listener {
    final List<String> events = new ArrayList<>();
    java.util.function.Consumer<Object> onMessage = m -> {};

    @Override
    public void onBackendMessage(Object msg) {
      if (msg instanceof HttpResponse r) {
        events.add("head " + r.status().code());
      }
      if (msg instanceof HttpContent c) {
        events.add((c instanceof LastHttpContent ? "last " : "content ") + c.content().toString(StandardCharsets.UTF_8));
      }
      onMessage.accept(msg);
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void onBackendInactive() {
      events.add("inactive");
    }

    @Override
    public void onBackendWritabilityChanged(boolean writable) {
      events.add("writable " + writable);
    }

    @Override
    public void onBackendReadComplete() {
      events.add("read-complete");
    }
  }

  PooledConnectionAttemptTest() {
    ch.config().setAutoRead(false);
    ch.pipeline()
        .addLast(HandlerNames.BACKEND_HTTP_CODEC, new HttpClientCodec(
            new HttpDecoderConfig().setMaxHeaderSize(65536).setMaxChunkSize(65536), false, false))
        .addLast(HandlerNames.BACKEND_RELAY, new BackendRelayHandler());
    pool = new BackendPool(ch.eventLoop(), entry.backend(), () -> settings, null, NioSocketChannel.class, null);
  }

  @AfterEach
  void tearDown() {
    pool.close();
    ch.finishAndReleaseAll();
  }

  private PooledConnectionAttempt attempt() {
    return new PooledConnectionAttempt(pool, entry, ch);
  }

  private void sendGet(BackendAttempt a, String uri) {
    a.write(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
    a.flush();
  }

  private String backendReceived() {
    StringBuilder b = new StringBuilder();
    ByteBuf buf;
    while ((buf = ch.readOutbound()) != null) {
      b.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    return b.toString();
  }

  private void backendSends(String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
  }

  @Test
  void aShortRequestIsCountedUntilReleasedAndTheConnectionGoesBackToThePool() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);
    assertThat(stats.inFlight()).isEqualTo(1);
    assertThat(stats.activeLongRunning()).isZero();
    assertThat(stats.requests()).isEqualTo(1);
    sendGet(a, "/api/v1/pods");
    backendSends("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assertThat(listener.events).containsExactly("head 200", "last ok", "read-complete");

    a.release();
    a.release();
    a.close();

    assertThat(stats.inFlight()).isZero();
    assertThat(ch.isOpen()).isTrue(); // the later calls did nothing: the pool holds it
    BackendAttempt next = pool.acquire(entry).getNow();
    assertThat(next).isNotSameAs(a);
    backendReceived();
    sendGet(next, "/api/v1/namespaces");
    assertThat(backendReceived()).startsWith("GET /api/v1/namespaces HTTP/1.1"); // the same connection
    next.close();
  }

  @Test
  void aLongRunningRequestIsCountedUntilClosedOnce() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, true);
    assertThat(stats.inFlight()).isEqualTo(1);
    assertThat(stats.activeLongRunning()).isEqualTo(1);

    a.close();
    a.close();
    a.release();

    assertThat(ch.isOpen()).isFalse();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.activeLongRunning()).isZero();
    assertThat(listener.events).doesNotContain("inactive"); // detached before the close
  }

  @Test
  void anAttemptNeverStartedIsReleasedWithoutTouchingTheCounts() {
    PooledConnectionAttempt a = attempt();

    a.release();

    assertThat(stats.inFlight()).isZero();
    assertThat(stats.requests()).isZero();
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void theRelayPassesEventsOnlyWhileAttached() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
    DefaultFullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/x",
        Unpooled.copiedBuffer("x".repeat(32), StandardCharsets.UTF_8));
    post.headers().setInt("Content-Length", 32);
    a.write(post); // unflushed: over the high mark
    assertThat(a.isWritable()).isFalse();
    a.flush();
    ch.runPendingTasks();
    assertThat(listener.events).containsExactly("writable false", "writable true");
    backendReceived();

    a.release();
    backendSends("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); // unexpected on an idle connection

    assertThat(listener.events).containsExactly("writable false", "writable true");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void theBackendClosingTellsTheListenerOnce() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);

    ch.close();

    assertThat(listener.events).containsExactly("inactive");
    a.close(); // as an exchange does after the event
    assertThat(stats.inFlight()).isZero();
  }

  @Test
  void handOverKeepsTheLongRunningCountUntilTheConnectionClosesAndLeavesTheBytesToTheSuccessor() {
    PooledConnectionAttempt a = attempt();
    StringBuilder tunnel = new StringBuilder();
    ChannelInboundHandlerAdapter successor = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = msg instanceof HttpContent c ? c.content() : (ByteBuf) msg;
        tunnel.append(b.toString(StandardCharsets.UTF_8));
        ReferenceCountUtil.release(msg);
      }
    };
    listener.onMessage = m -> {
      if (m instanceof HttpResponse r && r.status().code() == 101) {
        a.handOver(successor);
      }
    };
    a.start(listener, true);
    DefaultFullHttpRequest upgrade = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
        "/api/v1/namespaces/default/pods/p/exec?command=sh");
    upgrade.headers().set("Connection", "Upgrade").set("Upgrade", "SPDY/3.1");
    a.write(upgrade);
    a.flush();

    backendSends("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\nSPDY-FRAME");

    assertThat(ch.pipeline().names()).contains(HandlerNames.TUNNEL)
        .doesNotContain(HandlerNames.BACKEND_RELAY, HandlerNames.BACKEND_HTTP_CODEC);
    assertThat(tunnel.toString()).isEqualTo("SPDY-FRAME");
    backendSends("MORE");
    assertThat(tunnel.toString()).isEqualTo("SPDY-FRAMEMORE");
    assertThat(stats.inFlight()).isEqualTo(1);
    assertThat(stats.activeLongRunning()).isEqualTo(1);

    a.release();
    a.close();
    assertThat(ch.isOpen()).isTrue(); // the tunnel owns the connection now
    assertThat(stats.activeLongRunning()).isEqualTo(1);

    ch.close();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.activeLongRunning()).isZero();
    assertThat(listener.events).doesNotContain("inactive");
  }

  @Test
  void interimResponsesNeverReachTheListener() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);
    sendGet(a, "/api/v1/pods");

    backendSends("HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
        + "HTTP/1.1 100 Continue\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    for (int i = 0; i < 6; i++) {
      a.read();
    }

    assertThat(listener.events).filteredOn(e -> e.startsWith("head") || e.startsWith("last"))
        .containsExactly("head 200", "last {}");
    a.release();
  }

  @Test
  void anAbandonedRequestsAnswerIsReadToItsEndAndTheConnectionPooled() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);
    sendGet(a, "/api/v1/pods");

    a.abandon(Duration.ofSeconds(5)); // the client reset its stream
    assertThat(stats.inFlight()).as("the backend still works on it").isEqualTo(1);
    backendSends("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    for (int i = 0; i < 4; i++) {
      ch.read();
    }

    assertThat(listener.events).as("nothing reaches the gone client").noneMatch(e -> e.startsWith("head"));
    assertThat(stats.inFlight()).isZero();
    assertThat(ch.isOpen()).isTrue();
    assertThat(pool.acquire(entry).getNow()).as("the same connection, pooled").isNotNull();
  }

  @Test
  void anAbandonedAnswerThatTakesTooLongClosesTheConnection() {
    PooledConnectionAttempt a = attempt();
    a.start(listener, false);
    sendGet(a, "/api/v1/pods");

    a.abandon(Duration.ofSeconds(5));
    ch.advanceTimeBy(6, java.util.concurrent.TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();

    assertThat(ch.isOpen()).isFalse();
    assertThat(stats.inFlight()).isZero();
  }
}
