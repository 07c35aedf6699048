package io.apilb.testing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.support.HandlerNames;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BackendAttempt} without a connection: records what the exchange wrote (heads as they
 * are, content as text, each released at once as a channel would), how it ended, and lets a test
 * play the backend by delivering messages and events to the listener. Like the real attempt, an
 * ended one (released, closed, handed over) delivers nothing more.
 */
public final class FakeBackendAttempt implements BackendAttempt {
  /** How an attempt ended. */
  public enum End { RELEASE, CLOSE, HAND_OVER, ABANDON }

  private final BackendEntry backend;
  private Listener listener;
  private boolean started;
  private boolean longRunning;
  private final List<HttpRequest> heads = new ArrayList<>();
  private final StringBuilder body = new StringBuilder();
  private int lastContents;
  private int flushes;
  private int reads;
  private int writesAfterEnd;
  private boolean writable = true;
  private final List<End> ends = new ArrayList<>();
  private final List<String> log = new ArrayList<>();
  private EmbeddedChannel wire;

  FakeBackendAttempt(BackendEntry backend) {
    this.backend = backend;
  }

  @Override
  public BackendEntry backend() {
    return backend;
  }

  @Override
  public void start(Listener l, boolean longRunning) {
    this.listener = l;
    this.started = true;
    this.longRunning = longRunning;
    log.add("start");
  }

  @Override
  public void write(Object msg) {
    if (!ends.isEmpty()) {
      writesAfterEnd++;
    }
    if (msg instanceof HttpRequest head) {
      heads.add(head);
      log.add("head " + head.method() + " " + head.uri());
    }
    if (msg instanceof HttpContent content) {
      String text = content.content().toString(StandardCharsets.UTF_8);
      body.append(text);
      if (content instanceof LastHttpContent last) {
        lastContents++;
        log.add("last " + text + (last.trailingHeaders().isEmpty() ? "" : " trailers " + last.trailingHeaders().names()));
      } else {
        log.add("content " + text);
      }
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void flush() {
    flushes++;
  }

  @Override
  public boolean isWritable() {
    return writable;
  }

  @Override
  public void read() {
    reads++;
  }

  @Override
  public void release() {
    end(End.RELEASE);
  }

  @Override
  public void close() {
    end(End.CLOSE);
  }

  @Override
  public void abandon(java.time.Duration limit) {
    end(End.ABANDON);
  }

  /** Puts {@code successor} on a fresh embedded "backend connection" ({@link #wire()}). */
  @Override
  public void handOver(ChannelHandler successor) {
    end(End.HAND_OVER);
    wire = new EmbeddedChannel();
    wire.config().setAutoRead(false);
    wire.pipeline().addLast(HandlerNames.TUNNEL, successor);
  }

  private void end(End how) {
    ends.add(how);
    log.add(how.name().toLowerCase(java.util.Locale.ROOT));
  }

  // ------------------------------------------------------------------ the backend's side

  /** Whether the attempt still relays (started and not ended). */
  public boolean live() {
    return listener != null && ends.isEmpty();
  }

  /** Hands {@code msg} to the listener; a message for an attempt no longer live is released. */
  public boolean deliver(Object msg) {
    if (!live()) {
      ReferenceCountUtil.release(msg);
      return false;
    }
    listener.onBackendMessage(msg);
    return true;
  }

  /** Delivers a response head, then each chunk (the last one as the response's end) and a read-complete. */
  public void respond(HttpResponse head, String... chunks) {
    deliver(head);
    for (int i = 0; i < chunks.length; i++) {
      deliver(i == chunks.length - 1 ? lastContent(chunks[i]) : content(chunks[i]));
    }
    readComplete();
  }

  public static HttpContent content(String text) {
    return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  public static LastHttpContent lastContent(String text) {
    return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  public void readComplete() {
    if (live()) {
      listener.onBackendReadComplete();
    }
  }

  /** The backend connection closed. */
  public void inactive() {
    if (live()) {
      log.add("inactive");
      listener.onBackendInactive();
    }
  }

  public void setWritable(boolean w) {
    writable = w;
    if (live()) {
      listener.onBackendWritabilityChanged(w);
    }
  }

  /** Sets writability before the attempt is started (no event). */
  public FakeBackendAttempt writable(boolean w) {
    writable = w;
    return this;
  }

  // ------------------------------------------------------------------ what happened

  public String name() {
    return backend.name();
  }

  public boolean started() {
    return started;
  }

  public boolean longRunning() {
    return longRunning;
  }

  public List<HttpRequest> heads() {
    return heads;
  }

  public HttpRequest head() {
    return heads.get(0);
  }

  /** Every content byte written, as text. */
  public String body() {
    return body.toString();
  }

  /** How many times the request's end was written. */
  public int lastContents() {
    return lastContents;
  }

  public int flushes() {
    return flushes;
  }

  public int reads() {
    return reads;
  }

  /** Writes made after the attempt had ended (a bug if ever non-zero). */
  public int writesAfterEnd() {
    return writesAfterEnd;
  }

  /** Every way the attempt was ended, in order (one entry when ended once). */
  public List<End> ends() {
    return ends;
  }

  /** The one way the attempt ended, or null if it was not ended. */
  public End end() {
    return ends.isEmpty() ? null : ends.get(0);
  }

  /** What happened, in order: "start", "head GET /x", "content ...", "last ...", "release", ... */
  public List<String> log() {
    return log;
  }

  /** The backend connection after a hand-over (null before). */
  public EmbeddedChannel wire() {
    return wire;
  }

  @Override
  public String toString() {
    return "FakeBackendAttempt(" + backend.name() + ", " + log + ")";
  }
}
