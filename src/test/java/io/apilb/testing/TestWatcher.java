package io.apilb.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client-go-like watcher of configmaps in one namespace: it watches from a resourceVersion,
 * decodes every event, remembers the last resourceVersion, and when the watch ends it watches
 * again from there. What counts is how each watch ended:
 * <ul>
 *   <li><b>clean end</b> (end of stream at an event boundary, a WebSocket close 1000): client-go's
 *   reflector re-watches from its last resourceVersion, no list needed;
 *   <li><b>error</b> (an I/O error or reset mid-stream, an undecodable event, an ERROR event, an
 *   abnormal WebSocket close): client-go logs "watch of … ended with" and <em>relists</em>. This
 *   watcher records it and re-watches anyway, so a test can count every relist a real client
 *   would have done;
 *   <li><b>partial event</b>: the stream ended with the bytes of an incomplete event (counted
 *   apart from errors: client-go would take the unexpected EOF as an end, but a balancer must
 *   never forward a partial event);
 *   <li><b>rejected start</b>: the watch request itself failed (non-200, connect failure).
 * </ul>
 * Subclasses run one watch per {@link #watchOnce(long)} on the watcher's own thread.
 */
public abstract class TestWatcher implements AutoCloseable {
  protected final String namespace;
  protected final boolean protobuf;
  private final String label;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long lastRv;
  private volatile String servedBy = "";
  private final List<Long> resourceVersions = new CopyOnWriteArrayList<>();
  private final List<Long> watchedFrom = new CopyOnWriteArrayList<>();
  private final List<String> errorMessages = new CopyOnWriteArrayList<>();
  private final AtomicInteger errors = new AtomicInteger();
  private final AtomicInteger partialEvents = new AtomicInteger();
  private final AtomicInteger cleanEnds = new AtomicInteger();
  private final AtomicInteger rejectedStarts = new AtomicInteger();
  private final AtomicInteger outOfOrder = new AtomicInteger();

  protected TestWatcher(String label, String namespace, boolean protobuf, long fromRv) {
    this.label = label;
    this.namespace = namespace;
    this.protobuf = protobuf;
    this.lastRv = fromRv;
    this.thread = new Thread(this::loop, label);
    this.thread.setDaemon(true);
  }

  /** Starts watching (on a thread of its own). */
  public TestWatcher start() {
    thread.start();
    return this;
  }

  private void loop() {
    while (running) {
      long from = lastRv;
      watchedFrom.add(from);
      boolean again;
      try {
        again = watchOnce(from);
      } catch (InterruptedException e) {
        return;
      }
      if (!again && running) {
        pause(200); // a rejected start: back off like a reflector
      }
    }
  }

  /**
   * Runs one watch from {@code fromRv} until it ends, reporting through the {@code on*} methods.
   * Returns false when the watch could not start.
   */
  protected abstract boolean watchOnce(long fromRv) throws InterruptedException;

  /** Stops watching: closes the current watch and ends the thread. */
  @Override
  public void close() {
    running = false;
    abortCurrent();
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes the current watch from the client side (to unblock the watcher's thread). */
  protected abstract void abortCurrent();

  protected boolean running() {
    return running;
  }

  protected String path(long fromRv) {
    return "/api/v1/namespaces/" + namespace + "/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion="
        + fromRv;
  }

  protected String accept() {
    return protobuf ? "application/vnd.kubernetes.protobuf, application/json" : "application/json";
  }

  // ---- reports from a watch ------------------------------------------------------------------------

  protected void onEvent(WatchEventDecoder.Event e) {
    if (e.type().equals("ERROR")) {
      onError("ERROR event " + e.code() + " " + e.name());
      return;
    }
    if (e.resourceVersion() <= lastRv && !e.type().equals("BOOKMARK")) {
      outOfOrder.incrementAndGet();
    }
    lastRv = Math.max(lastRv, e.resourceVersion());
    if (!e.type().equals("BOOKMARK")) {
      resourceVersions.add(e.resourceVersion());
    }
  }

  protected void onServedBy(String backend) {
    servedBy = backend == null ? "" : backend;
  }

  protected void onCleanEnd() {
    cleanEnds.incrementAndGet();
  }

  protected void onPartialEvent(int bytes) {
    partialEvents.incrementAndGet();
    note("partial event of " + bytes + " bytes at end of stream");
  }

  protected void onError(String what) {
    if (running) {
      errors.incrementAndGet();
      note(what);
    }
  }

  protected void onRejectedStart(String what) {
    if (running) {
      rejectedStarts.incrementAndGet();
      note("start failed: " + what);
    }
  }

  private void note(String what) {
    if (errorMessages.size() < 20) {
      errorMessages.add(label + " (from rv " + lastRv + ", on " + servedBy + "): " + what);
    }
  }

  protected static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- what happened ------------------------------------------------------------------------------

  public String label() {
    return label;
  }

  public boolean protobuf() {
    return protobuf;
  }

  /** Events seen (ADDED, MODIFIED, DELETED), in order of arrival. */
  public int events() {
    return resourceVersions.size();
  }

  /** Their resourceVersions, in order of arrival. */
  public List<Long> resourceVersions() {
    return new ArrayList<>(resourceVersions);
  }

  public long lastResourceVersion() {
    return lastRv;
  }

  /** The resourceVersion each watch started from (the first is the initial one; each next, the last seen). */
  public List<Long> watchedFrom() {
    return new ArrayList<>(watchedFrom);
  }

  /** Watches started after the first. */
  public int rewatches() {
    return Math.max(0, watchedFrom.size() - 1);
  }

  /** Ends that would make client-go relist. */
  public int errors() {
    return errors.get();
  }

  public int partialEvents() {
    return partialEvents.get();
  }

  public int cleanEnds() {
    return cleanEnds.get();
  }

  public int rejectedStarts() {
    return rejectedStarts.get();
  }

  /** Events whose resourceVersion was not above the last seen (a duplicate or a step back). */
  public int outOfOrder() {
    return outOfOrder.get();
  }

  /** The simulated apiserver serving the current watch ({@code X-Sim-Backend}), when the client can see it. */
  public String servedBy() {
    return servedBy;
  }

  /** The first errors, partial events and rejected starts, with context. */
  public List<String> problems() {
    return new ArrayList<>(errorMessages);
  }

  @Override
  public String toString() {
    return label + "[events=" + events() + " errors=" + errors() + " partial=" + partialEvents() + " clean="
        + cleanEnds() + " rewatches=" + rewatches() + " rejected=" + rejectedStarts() + " on=" + servedBy + "]";
  }
}
