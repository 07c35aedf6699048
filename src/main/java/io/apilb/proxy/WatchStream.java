package io.apilb.proxy;

import io.apilb.balancing.RequestClass;
import io.apilb.balancing.WatchRegistry;
import io.apilb.proxy.watch.EventFramer;
import io.apilb.proxy.watch.JsonEventFramer;
import io.apilb.proxy.watch.ProtobufEventFramer;
import io.apilb.proxy.watch.WebSocketEventFramer;
import io.apilb.proxy.watch.WholeEvents;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.Locale;

/**
 * One open watch as it passes through, in any encoding kube-apiserver serves (JSON and protobuf
 * over HTTP/1.1 or HTTP/2, and WebSocket): its bytes reach the client in whole events only
 * ({@link WholeEvents}), it is registered in the {@link WatchRegistry} so the rebalancer and
 * shutdown can end it, and an end asked for waits for the next event boundary. Ended there, the
 * client sees a clean end of stream, exactly as when kube-apiserver's own watch timeout ends it,
 * and re-watches from the last resourceVersion it saw, on another backend, without relisting.
 */
final class WatchStream implements WatchRegistry.Handle {
  private final WatchRegistry registry;
  private final String backend;
  private final EventLoop loop;
  private final WholeEvents events;
  private Runnable endNow;
  private boolean endRequested;
  private boolean closed;

  private WatchStream(WatchRegistry registry, String backend, EventLoop loop, WholeEvents events) {
    this.registry = registry;
    this.backend = backend;
    this.loop = loop;
    this.events = events;
  }

  /**
   * A watch response whose event boundaries apilb can see (a 200 watch in JSON or protobuf
   * stream framing, not compressed), registered; null for anything else.
   *
   * @param endNow ends the exchange's watch now (called on {@code loop}, at a boundary)
   */
  static WatchStream ofResponse(HttpResponse response, RequestClass requestClass, String uri, ProxyContext px,
      String backend, EventLoop loop, ByteBufAllocator alloc, Runnable endNow) {
    if (response.status().code() != 200 || requestClass != RequestClass.LONG_RUNNING
        || response.headers().contains(HttpHeaderNames.CONTENT_ENCODING) || !RequestClassifier.isWatch(uri)) {
      return null;
    }
    EventFramer framer = framerFor(response.headers().get(HttpHeaderNames.CONTENT_TYPE, ""));
    return framer == null ? null : open(framer, px, backend, loop, alloc, endNow);
  }

  /**
   * A watch upgraded to WebSocket (as fabric8 watches), registered; null for any other upgrade
   * (exec, attach, port-forward, proxy).
   */
  static WatchStream ofWebSocketUpgrade(HttpRequest request, ProxyContext px, String backend, EventLoop loop,
      ByteBufAllocator alloc) {
    String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "");
    if (!upgrade.equalsIgnoreCase("websocket") || !RequestClassifier.isWatch(request.uri())) {
      return null;
    }
    return open(new WebSocketEventFramer(), px, backend, loop, alloc, null);
  }

  private static WatchStream open(EventFramer framer, ProxyContext px, String backend, EventLoop loop,
      ByteBufAllocator alloc, Runnable endNow) {
    WatchStream w = new WatchStream(px.watches(), backend, loop,
        new WholeEvents(framer, alloc, px.config().watchEventMaxBytes()));
    w.endNow = endNow;
    px.watches().opened(backend, w);
    return w;
  }

  /** The framing of a watch response's content type, or null when its boundaries are not known. */
  static EventFramer framerFor(String contentType) {
    String type = contentType.toLowerCase(Locale.ROOT);
    if (type.startsWith("application/json")) {
      return new JsonEventFramer();
    }
    if (type.startsWith("application/vnd.kubernetes.protobuf") && type.contains("stream=watch")) {
      return new ProtobufEventFramer();
    }
    return null;
  }

  /** Set when the end action exists only after the stream (a tunnel). */
  void onEndNow(Runnable action) {
    this.endNow = action;
  }

  /**
   * The part of a watch response's content that completes events, as content to write; at the
   * response's end, whatever was held too. Takes the content.
   */
  HttpContent wholeEvents(HttpContent content, boolean last) {
    ByteBuf bytes = events.pass(content.content());
    if (last) {
      ByteBuf held = events.drain();
      bytes = held == null ? bytes : Unpooled.wrappedBuffer(held, bytes);
    }
    return content.replace(bytes);
  }

  /** Takes the next bytes from the backend; returns what may go to the client now (whole events). */
  ByteBuf pass(ByteBuf bytes) {
    return events.pass(bytes);
  }

  /** The client has received whole events only: the stream can end cleanly now. */
  boolean atEventBoundary() {
    return events.atBoundary();
  }

  /** An end was asked for and the stream is at a boundary: end it after what was just passed. */
  boolean endDue() {
    return endRequested && events.atBoundary();
  }

  @Override
  public void endGracefully() {
    loop.execute(() -> {
      if (!closed) {
        endRequested = true;
        if (events.atBoundary() && endNow != null) {
          endNow.run();
        }
      }
    });
  }

  /** The watch is over (ended, or its exchange is): leaves the registry, drops a partial event. */
  void close() {
    if (!closed) {
      closed = true;
      events.release();
      registry.closed(backend, this);
    }
  }
}
