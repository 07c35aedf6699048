package io.apilb.proxy;

import io.apilb.balancing.WatchRegistry;
import io.apilb.balancing.RequestClass;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * One open watch response as it passes through: where its event boundaries are, its place in the
 * {@link WatchRegistry} (so the rebalancer and shutdown can end it), and whether an end was asked
 * for. A watch is only ever ended at an event boundary: its client then sees a clean end of
 * stream, exactly as when kube-apiserver's own watch timeout ends it, and re-watches from the
 * last resourceVersion it saw, on another backend, without relisting.
 *
 * <p>JSON watch events end with a newline, so the boundary is visible in the last byte passed.
 * Protobuf watches are length-framed and are not registered yet (they are not moved).
 */
final class WatchStream implements WatchRegistry.Handle {
  private final WatchRegistry registry;
  private final String backend;
  private final EventLoop loop;
  private final Runnable endNow;
  private boolean atEventBoundary = true;
  private boolean endRequested;
  private boolean closed;

  private WatchStream(WatchRegistry registry, String backend, EventLoop loop, Runnable endNow) {
    this.registry = registry;
    this.backend = backend;
    this.loop = loop;
    this.endNow = endNow;
  }

  /**
   * Registers the response as a watch when it is one whose boundaries apilb can see; null
   * otherwise.
   *
   * @param endNow ends the exchange's watch now (called on {@code loop}, at a boundary)
   */
  static WatchStream openIfWatch(HttpResponse response, RequestClass requestClass, String uri, WatchRegistry registry,
      String backend, EventLoop loop, Runnable endNow) {
    String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    if (response.status().code() != 200 || requestClass != RequestClass.LONG_RUNNING
        || !type.startsWith("application/json") || !RequestClassifier.isWatch(uri)) {
      return null;
    }
    WatchStream w = new WatchStream(registry, backend, loop, endNow);
    registry.opened(backend, w);
    return w;
  }

  /** Response bytes about to be passed to the client. */
  void onContent(ByteBuf bytes) {
    if (bytes.isReadable()) {
      atEventBoundary = bytes.getByte(bytes.writerIndex() - 1) == '\n';
    }
  }

  /** The bytes passed so far end with a whole event (or none was passed yet). */
  boolean atEventBoundary() {
    return atEventBoundary;
  }

  /** An end was asked for and the stream is at a boundary: end it after what was just passed. */
  boolean endDue() {
    return endRequested && atEventBoundary;
  }

  @Override
  public void endGracefully() {
    loop.execute(() -> {
      if (!closed) {
        endRequested = true;
        if (atEventBoundary) {
          endNow.run();
        }
      }
    });
  }

  /** The watch is over (ended, or its exchange is): leaves the registry. */
  void close() {
    if (!closed) {
      closed = true;
      registry.closed(backend, this);
    }
  }
}
