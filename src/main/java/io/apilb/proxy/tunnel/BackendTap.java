package io.apilb.proxy.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Looks at what a tunnel carries from the backend to the client: a WebSocket watch's frames, so
 * the client gets whole events only and the tunnel can end cleanly between them. Event loop only.
 */
public interface BackendTap {
  /** Bytes from the backend; returns what the client may get now (possibly empty). Takes ownership. */
  ByteBuf fromBackend(ByteBuf bytes);

  /** After the bytes just passed: the tunnel should end now. */
  boolean endDue();

  /**
   * The backend's end closed: the last bytes the client gets before its connection closes (a
   * WebSocket close frame when it saw whole events only), or null to just close.
   */
  ByteBuf lastWords(ByteBufAllocator alloc);

  /** The tunnel is over (either end closed). */
  void closed();
}
