package io.apilb.backend.pool;

import io.apilb.backend.BackendEntry;
import io.apilb.support.HttpMessageKinds;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BackendAttempt} on one stream of a {@link Http2BackendConnection}. The request head
 * waits for its first content so a request without a body is a single HEADERS frame with
 * END_STREAM. Response messages queue here and reach the exchange one per {@link #read()}; the
 * bytes of each DATA frame return to the backend's stream window only at the next read, i.e.
 * once the client side has taken them: a client that stops reading stops its own stream only.
 */
final class Http2StreamAttempt implements BackendAttempt {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Http2StreamAttempt.class);
  private static final Duration DEFAULT_ABANDON_LIMIT = Duration.ofSeconds(30);

  private final Http2BackendConnection conn;
  private final BackendEntry backend;
  private final ArrayDeque<Object> inbound = new ArrayDeque<>(4);
  private Listener listener;
  private HttpRequest pendingHead;
  private int streamId;
  private boolean counted;
  private boolean longRunning;
  private boolean ended;
  private boolean refused;
  private boolean headSeen;
  private boolean responseComplete;
  private boolean demand;
  private boolean delivering;
  private long resetCode = -1;
  /** Bytes of DATA delivered to the exchange and not yet returned to the stream window. */
  private int delivered;

  Http2StreamAttempt(Http2BackendConnection conn, BackendEntry backend) {
    this.conn = conn;
    this.backend = backend;
  }

  @Override
  public BackendEntry backend() {
    return backend;
  }

  @Override
  public void start(Listener l, boolean longRunning) {
    this.listener = l;
    this.longRunning = longRunning;
    backend.stats().requestStarted(longRunning);
    counted = true;
  }

  @Override
  public void write(Object msg) {
    if (ended || refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    // HttpMessageKinds: exact classes first (no per-class interface cache rewritten per message)
    HttpRequest head = HttpMessageKinds.asRequest(msg);
    HttpContent c = HttpMessageKinds.asContent(msg);
    if (head != null) {
      pendingHead = head;
      if (c == null) {
        return;
      }
    }
    if (c != null) {
      boolean last = HttpMessageKinds.isLast(c);
      if (pendingHead != null) {
        boolean headersOnly = last && !c.content().isReadable();
        if (!openStream(headersOnly) || headersOnly) {
          c.release();
          return;
        }
      }
      if (streamId > 0) {
        conn.writeData(streamId, c.content(), last);
      } else {
        c.release();
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Sends the pending head; false when no stream could be opened (the request is refused, unsent). */
  private boolean openStream(boolean endStream) {
    Http2Headers headers = Http2Messages.requestHeaders(pendingHead, backend.backend().verifiedName());
    pendingHead = null;
    int id = conn.openStream(this, headers, endStream);
    if (id < 0) {
      refused = true;
      // later, not inside the exchange's write: it retries elsewhere
      conn.eventLoop().execute(() -> signalRefused("backend " + backend.name() + " accepts no new stream on this connection"));
      return false;
    }
    streamId = id;
    return true;
  }

  @Override
  public void flush() {
    if (pendingHead != null && !ended && !refused) {
      openStream(false); // a body follows, later
    }
    conn.flushConnection();
  }

  @Override
  public boolean isWritable() {
    return conn.isWritable(streamId);
  }

  @Override
  public void read() {
    if (ended) {
      return;
    }
    if (delivered > 0) {
      conn.consume(streamId, delivered); // the client took what it was given: the backend may send more
      delivered = 0;
    }
    demand = true;
    drain();
  }

  /** Hands queued messages to the listener while it asks for them. */
  private void drain() {
    if (delivering) {
      return;
    }
    delivering = true;
    boolean any = false;
    try {
      while (demand && !ended && !inbound.isEmpty()) {
        demand = false;
        Object m = inbound.poll();
        HttpContent c = HttpMessageKinds.asContent(m);
        if (c != null) {
          delivered += c.content().readableBytes();
        }
        any = true;
        listener.onBackendMessage(m);
      }
    } finally {
      delivering = false;
    }
    if (any && !ended) {
      if (conn.inRead()) {
        conn.touched(this);
      } else {
        readComplete();
      }
    }
  }

  void readComplete() {
    if (!ended && listener != null) {
      listener.onBackendReadComplete();
    }
  }

  // ---------------------------------------------------------------- frames from the connection

  void onHeaders(Http2Headers headers, boolean endStream) {
    if (ended) {
      return;
    }
    if (!headSeen) {
      CharSequence status = headers.status();
      if (Http2Messages.interim(status) && !endStream) {
        return; // 1xx: hop-by-hop, never relayed
      }
      headSeen = true;
      inbound.add(Http2Messages.response(streamId, headers, status, conn.draining()));
    }
    if (endStream) {
      responseComplete = true;
      inbound.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    drain();
  }

  void onData(ByteBuf data, boolean endStream) {
    if (ended) {
      return;
    }
    responseComplete |= endStream;
    inbound.add(endStream ? new DefaultLastHttpContent(data.retain()) : new DefaultHttpContent(data.retain()));
    drain();
  }

  void onReset(long errorCode) {
    resetCode = errorCode;
  }

  /** The stream closed: normal after the whole response, else a refusal or a loss. */
  void onStreamClosed(boolean refusedByGoAway) {
    if (ended || responseComplete) {
      return;
    }
    if (refusedByGoAway || resetCode == Http2Error.REFUSED_STREAM.code()) {
      signalRefused("backend " + backend.name() + (refusedByGoAway ? " sent GOAWAY before processing the request"
          : " refused the stream (REFUSED_STREAM)"));
    } else {
      signalLost();
    }
  }

  /** The connection closed; a stream never opened was never sent. */
  void onConnectionLost() {
    if (ended || responseComplete) {
      return;
    }
    if (streamId == 0) {
      signalRefused("backend " + backend.name() + " closed the connection before the request was sent");
    } else {
      signalLost();
    }
  }

  void onWritabilityChanged() {
    if (!ended && listener != null) {
      listener.onBackendWritabilityChanged(isWritable());
    }
  }

  private void signalRefused(String why) {
    if (ended) {
      return;
    }
    dropInbound();
    Listener l = listener;
    if (l != null) {
      l.onBackendRefused(why);
    }
    close(); // the attempt is over either way
  }

  private void signalLost() {
    if (log.isDebugEnabled()) {
      log.debug("{}: lost (reset code {})", this, resetCode);
    }
    dropInbound();
    Listener l = listener;
    if (l != null) {
      l.onBackendInactive();
    }
    close();
  }

  // ---------------------------------------------------------------- the end of the attempt

  @Override
  public void release() {
    close(); // a stream is never reused: an unfinished one is cancelled
  }

  @Override
  public void close() {
    if (headSeen && !responseComplete && !ended && log.isDebugEnabled()) {
      // the relay's state says why the response did not finish: demand, windows, writability
      log.debug("{}: closed before the response completed", this);
    }
    if (end()) {
      // an unfinished stream is cancelled; one that ended both ways is not (a CANCEL per
      // finished request would be noise to the backend)
      if (streamId > 0) {
        conn.cancelUnlessEnded(streamId, responseComplete);
      }
      conn.released(this);
    }
  }

  @Override
  public void abandon(Duration limit) {
    if (ended) {
      return;
    }
    if (responseComplete && inbound.isEmpty()) {
      close();
      return;
    }
    Duration l = limit.isZero() ? DEFAULT_ABANDON_LIMIT : limit;
    ScheduledFuture<?> deadline = conn.eventLoop().schedule(this::close, l.toMillis(), TimeUnit.MILLISECONDS);
    listener = new Http2AbandonedStream(this, deadline);
    read();
  }

  @Override
  public void handOver(ChannelHandler successor) {
    throw new IllegalStateException("an HTTP/2 stream is never upgraded; upgrades use dedicated HTTP/1.1 connections");
  }

  private boolean end() {
    if (ended) {
      return false;
    }
    ended = true;
    listener = null;
    dropInbound();
    if (pendingHead != null) {
      ReferenceCountUtil.release(pendingHead);
      pendingHead = null;
    }
    if (counted) {
      counted = false;
      backend.stats().requestEnded(longRunning);
    }
    return true;
  }

  private void dropInbound() {
    Object m;
    while ((m = inbound.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
  }

  int streamId() {
    return streamId;
  }

  /** The stream's relay state, for the debug line of a request that timed out mid-response. */
  @Override
  public String toString() {
    return "h2 stream " + streamId + " to " + backend.name() + " [demand=" + demand + " queued=" + inbound.size()
        + " undelivered-to-window=" + delivered + " complete=" + responseComplete + " ended=" + ended + " "
        + conn.describeStream(streamId) + "]";
  }
}
