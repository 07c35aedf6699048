package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One open watch response: one chunk (or WebSocket message) per event, flushed per event, in
 * JSON or protobuf as Accept asked. All methods except {@link #deliver} run on the channel's
 * event loop.
 */
final class WatchStream {
  private final SimulatedApiserver server;
  private final ChannelHandlerContext ctx;
  private final ApiRoutes.WatchSpec spec;
  private final Runnable onEnd;
  private final ArrayDeque<byte[]> stalled = new ArrayDeque<>();
  private SimulatedCluster.Subscription subscription;
  private ScheduledFuture<?> timeout;
  private ScheduledFuture<?> bookmarks;
  private boolean ended;
  private final boolean websocket;
  private final boolean protobuf;

  WatchStream(SimulatedApiserver server, ChannelHandlerContext ctx, ApiRoutes.WatchSpec spec, boolean websocket,
      Runnable onEnd) {
    this.websocket = websocket;
    this.protobuf = spec.protobuf();
    this.server = server;
    this.ctx = ctx;
    this.spec = spec;
    this.onEnd = onEnd;
  }

  /** Subscribes after the response headers have been written. */
  void start() {
    server.openConnections().watchStarted(this);
    try {
      subscription = server.cluster().watch(spec.kind(), spec.fromRv(), this::deliver, rv -> {
        if (spec.initialEventsEnd()) {
          ctx.executor().execute(() -> sendBookmark(rv, true));
        }
      });
    } catch (ApiException e) {
      send(encode("ERROR", KubeJson.status(e)));
      end(true);
      return;
    }
    timeout = ctx.executor().schedule(() -> end(true), spec.timeoutMillis(), TimeUnit.MILLISECONDS);
    if (spec.bookmarks()) {
      long every = server.bookmarkInterval().toMillis();
      bookmarks = ctx.executor().scheduleAtFixedRate(
          () -> server.cluster().atCurrentVersion(rv -> ctx.executor().execute(() -> sendBookmark(rv, false))),
          every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** Called under the cluster lock, on any thread: hand off to the event loop. */
  private void deliver(SimulatedCluster.Event e) {
    ctx.executor().execute(() -> onEvent(e));
  }

  private void onEvent(SimulatedCluster.Event e) {
    if (ended) {
      return;
    }
    boolean now = spec.filter().test(e.object());
    boolean before = e.previous() != null && spec.filter().test(e.previous());
    String type = e.type();
    if (type.equals("MODIFIED")) {
      if (now && !before) {
        type = "ADDED";
      } else if (!now && before) {
        type = "DELETED";
      } else if (!now) {
        return;
      }
    } else if (!now) {
      return;
    }
    if (spec.tableVersion() != null) {
      send(encode(type, KubeJson.table(spec.kind(), List.of(e.object()), Long.toString(e.rv()),
          spec.tableVersion(), spec.includeObject(), Instant.now())));
    } else {
      send(encode(type, e.object()));
    }
  }

  private void sendBookmark(long rv, boolean initialEventsEnd) {
    if (ended) {
      return;
    }
    ObjectNode obj = KubeJson.F.objectNode().put("kind", spec.kind().kind).put("apiVersion", "v1");
    ObjectNode meta = obj.putObject("metadata").put("resourceVersion", Long.toString(rv));
    meta.putNull("creationTimestamp");
    if (initialEventsEnd) {
      meta.putObject("annotations").put("k8s.io/initial-events-end", "true");
    }
    send(encode("BOOKMARK", obj));
  }

  /**
   * One event's bytes: a JSON line, or a protobuf WatchEvent, length-prefixed on HTTP (the
   * stream framer) and bare over WebSocket (where the message is the frame).
   */
  private byte[] encode(String type, ObjectNode object) {
    if (protobuf) {
      byte[] event = KubeProtobufEncoder.watchEvent(type, object);
      return websocket ? event : WatchFrames.lengthDelimited(event);
    }
    ObjectNode ev = KubeJson.F.objectNode().put("type", type);
    ev.set("object", object);
    return line(ev);
  }

  private static byte[] line(ObjectNode ev) {
    byte[] json = KubeJson.bytes(ev);
    byte[] out = new byte[json.length + 1];
    System.arraycopy(json, 0, out, 0, json.length);
    out[json.length] = '\n';
    return out;
  }

  private void send(byte[] chunk) {
    if (ended) {
      return;
    }
    MidEventDeath death = server.lifecycle().midEventDeath();
    if (death != null) {
      dieMidEvent(chunk, death);
      return;
    }
    if (server.faults().streamsStalled() || !stalled.isEmpty()) {
      stalled.addLast(chunk);
      if (!server.faults().streamsStalled()) {
        resume();
      }
      return;
    }
    ctx.writeAndFlush(frame(chunk));
  }

  private Object frame(byte[] chunk) {
    return WatchFrames.whole(chunk, websocket, protobuf);
  }

  /** Writes half of {@code event} and then nothing more: the apiserver is about to drop the connection. */
  private void dieMidEvent(byte[] event, MidEventDeath death) {
    stop();
    stalled.clear();
    ctx.writeAndFlush(WatchFrames.firstHalf(event, websocket, protobuf)).addListener(f -> death.cutOne());
  }

  WatchFraming framing() {
    return websocket ? WatchFraming.WEBSOCKET : protobuf ? WatchFraming.PROTOBUF : WatchFraming.JSON;
  }

  /** Writes the events held back while streams were stalled. */
  void resume() {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(this::resume);
      return;
    }
    while (!ended && !server.faults().streamsStalled() && !stalled.isEmpty()) {
      ctx.write(frame(stalled.removeFirst()));
    }
    ctx.flush();
  }

  /**
   * Ends the stream. {@code clean}: write the terminating chunk (the connection stays usable);
   * otherwise the connection is going away.
   */
  void end(boolean clean) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> end(clean));
      return;
    }
    if (ended) {
      return;
    }
    stop();
    if (clean && ctx.channel().isActive()) {
      if (!server.faults().streamsStalled()) {
        while (!stalled.isEmpty()) {
          ctx.write(frame(stalled.removeFirst()));
        }
      }
      if (websocket) {
        ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      } else {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      }
    }
    stalled.clear();
    onEnd.run();
  }

  /** No more events: unsubscribes, cancels the timers, leaves the apiserver's watch set. */
  private void stop() {
    ended = true;
    if (subscription != null) {
      subscription.cancel();
    }
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (bookmarks != null) {
      bookmarks.cancel(false);
    }
    server.openConnections().watchEnded(this);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
