package io.apilb.proxy;

import io.apilb.backend.pool.BackendAttempt;
import io.apilb.support.HttpMessageKinds;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * The request body of one exchange as it passes: contents queued while no backend is attached
 * yet, and a bounded copy of every byte for a retry elsewhere. The copy shares the bytes
 * (retained duplicates), and is dropped for good once the body outgrows the retry buffer: such a
 * request can no longer go to a second backend after it was sent to a first.
 */
final class RequestBody {
  private final long retryBufferBytes;
  private final ArrayDeque<HttpContent> queued = new ArrayDeque<>(2);
  private final ArrayList<ByteBuf> copies = new ArrayList<>(2);
  private boolean overflowed;
  private long bytes;
  private boolean complete;

  RequestBody(long retryBufferBytes) {
    this.retryBufferBytes = retryBufferBytes;
  }

  /**
   * Starts the body as its head announces it: a head-only HTTP/2 request carries its whole body;
   * a head with no body to follow is complete at once (the client's empty end is then dropped when
   * it is read, before or after the answer). Takes a whole request's content.
   */
  void begin(HttpRequest head, boolean bodyFollows) {
    HttpContent content = head instanceof FullHttpRequest full ? whole(full)
        : bodyFollows ? null : LastHttpContent.EMPTY_LAST_CONTENT;
    if (content != null) {
      received(content);
      queue(content);
    }
  }

  /** A head-only request's body as its last content; most have none (a GET): no object for that. */
  private static HttpContent whole(FullHttpRequest full) {
    if (full.content().isReadable()) {
      return new DefaultLastHttpContent(full.content());
    }
    full.content().release();
    return LastHttpContent.EMPTY_LAST_CONTENT;
  }

  /**
   * The content without trailers: request trailers never reach a backend (kube-apiserver uses
   * none, and a client could put identity headers there). Takes the content.
   */
  static HttpContent withoutTrailers(HttpContent content) {
    LastHttpContent last = HttpMessageKinds.asLast(content); // exact classes first: see there
    if (last != null && !last.trailingHeaders().isEmpty()) {
      return new DefaultLastHttpContent(last.content()); // the same bytes, trailers dropped
    }
    return content;
  }

  /** Counts (and copies for a retry) content about to be sent or queued; true if it ends the body. */
  boolean received(HttpContent content) {
    ByteBuf b = content.content();
    bytes += b.readableBytes();
    complete |= HttpMessageKinds.isLast(content);
    if (!overflowed && b.isReadable()) {
      if (bytes > retryBufferBytes) {
        overflowed = true;
        releaseCopies();
      } else {
        copies.add(b.retainedDuplicate());
      }
    }
    return complete;
  }

  /** Keeps content until a backend is attached; takes the reference. */
  void queue(HttpContent content) {
    queued.add(content);
  }

  /**
   * Writes and flushes what was queued to {@code attempt}; true when more of the body should be
   * read from the client now (it has not ended, and the backend takes more).
   */
  boolean sendQueued(BackendAttempt attempt) {
    HttpContent c;
    while ((c = queued.poll()) != null) {
      attempt.write(c);
    }
    attempt.flush();
    return !complete && attempt.isWritable();
  }

  /** Sends content straight to {@code attempt}; true when more should be read from the client now. */
  boolean forward(HttpContent content, BackendAttempt attempt) {
    boolean last = received(content);
    attempt.write(content);
    attempt.flush();
    return !last && attempt.isWritable();
  }

  /** Queues the kept copy, and the body's end, to be sent again to another backend. */
  void replay() {
    releaseQueued();
    for (ByteBuf b : copies) {
      queued.add(new DefaultHttpContent(b.retainedDuplicate()));
    }
    if (complete) {
      queued.add(LastHttpContent.EMPTY_LAST_CONTENT);
    } // else the rest is still to come from the client, and queues behind the copies
  }

  /** The whole body was received and kept: it can be sent again. */
  boolean replayable() {
    return complete && !overflowed;
  }

  /**
   * Every byte received so far is still held: a request refused unprocessed may go elsewhere
   * even while its body is still arriving (the copies first, then the rest as it comes).
   */
  boolean intact() {
    return !overflowed;
  }

  long bytes() {
    return bytes;
  }

  boolean complete() {
    return complete;
  }

  private void releaseCopies() {
    for (ByteBuf b : copies) {
      b.release();
    }
    copies.clear();
  }

  void release() {
    releaseQueued();
    releaseCopies();
  }

  private void releaseQueued() {
    HttpContent c;
    while ((c = queued.poll()) != null) {
      ReferenceCountUtil.release(c);
    }
  }
}
