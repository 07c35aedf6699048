package io.apilb.proxy;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.backend.pool.Sharing;
import io.apilb.balancing.RequestClass;
import io.apilb.balancing.SelectionContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a backend for one request: asks the balancer for a backend not tried yet and acquires a
 * connection to it; a connect or TLS failure (nothing was sent) counts against that backend and
 * moves on to the next, until one is attached or none is left. After an attempt failed, it says
 * whether {@link RetryPolicy} lets the request go elsewhere, given the retries it already made,
 * and makes the retry. Event loop only.
 */
final class BackendAcquirer {
  private static final Logger log = LoggerFactory.getLogger(BackendAcquirer.class);

  /** Where the outcome goes (at most one call per {@link #acquire}). */
  interface Callback {
    void onAcquired(BackendAttempt attempt);

    /** No backend is left to try; {@code why} is the client's message. */
    void onNoBackend(String why);
  }

  private final ProxyContext px;
  private final EventLoop loop;
  private final RequestClass requestClass;
  private final Sharing sharing;
  private final Completion completion;
  private final Callback callback;
  /** Backends tried, in order (usually one). */
  private final ArrayList<String> tried = new ArrayList<>(2);
  private String lastFailure;
  /** Retries after a refused stream, and after a broken connection: RetryPolicy limits each kind apart. */
  private int refusals;
  private int resets;
  private BackendEntry backend;
  private Future<BackendAttempt> pending;
  /** The backend whose acquiring count this request's pending acquisition holds (null: none). */
  private BackendEntry acquiringOn;

  BackendAcquirer(ProxyContext px, EventLoop loop, RequestClass requestClass, Sharing sharing,
      Completion completion, Callback callback) {
    this.px = px;
    this.loop = loop;
    this.requestClass = requestClass;
    this.sharing = sharing;
    this.completion = completion;
    this.callback = callback;
  }

  /** The backend chosen last (null before the first choice). */
  BackendEntry backend() {
    return backend;
  }

  /** Chooses the next backend not tried yet and acquires a connection to it. */
  void acquire() {
    BackendSnapshot snapshot = px.backends().snapshot();
    var choice = px.balancer().select(snapshot, tried.isEmpty() ? SelectionContext.first(requestClass)
        : new SelectionContext(requestClass, Set.copyOf(tried)));
    if (choice.isEmpty()) {
      callback.onNoBackend(tried.isEmpty() ? snapshot.whyNoneReady()
          : "no backend could be reached (last error: " + lastFailure + ")");
      return;
    }
    backend = choice.get();
    tried.add(backend.name());
    completion.backend(backend.name());
    Future<BackendAttempt> f = px.pools().attempt(loop, backend, sharing, requestClass == RequestClass.UPGRADE);
    pending = f;
    if (!f.isDone()) {
      acquiringOn = backend; // until it is done, the balancer counts it against this backend
      backend.stats().acquiring(requestClass.longRunning(), 1);
    }
    f.addListener(done -> onDone(f));
  }

  /**
   * Whether the request may go to another backend for {@code reason}: {@link RetryPolicy}'s rules,
   * given the retries of that kind made so far. Every retry allowed is made at once ({@link #retry}).
   */
  boolean mayRetry(RetryReason reason, HttpMethod method, RequestBody body) {
    return RetryPolicy.mayRetry(reason, method, body, reason == RetryReason.REFUSED_STREAM ? refusals : resets);
  }

  /** A retry followed a broken connection: the first backend may have executed the request. */
  boolean mayHaveExecuted() {
    return resets > 0;
  }

  /**
   * The chosen backend failed the request, as {@code why} says, and it may go to another one
   * ({@link #mayRetry}): counts the retry and acquires the next backend.
   */
  void retry(RetryReason reason, String why) {
    lastFailure = why;
    px.metrics().retry(backend.name(), reason.metricTag());
    if (reason == RetryReason.BACKEND_RESET) {
      resets++;
    } else if (reason == RetryReason.REFUSED_STREAM && refusals++ == 0) {
      // a retired connection, not a failed backend: the same backend may take it on another connection
      tried.remove(tried.size() - 1);
    }
    log.debug("{}; retrying elsewhere ({})", why, reason.metricTag());
    acquire();
  }

  /** The client's message when the request's deadline passed. */
  String timeoutMessage(java.time.Duration timeout) {
    String who = backend == null ? "a backend" : "backend " + backend.name();
    return "request to " + who + " timed out after " + timeout.toSeconds() + "s";
  }

  /**
   * The request no longer wants a backend: an acquisition under way is cancelled, and a connection
   * it still gets goes to the pool or to the next request that needs one.
   */
  void cancel() {
    Future<BackendAttempt> f = pending;
    pending = null;
    if (f != null) {
      endAcquiring();
      f.cancel(false);
    }
  }

  private void endAcquiring() {
    if (acquiringOn != null) {
      acquiringOn.stats().acquiring(requestClass.longRunning(), -1);
      acquiringOn = null;
    }
  }

  private void onDone(Future<BackendAttempt> f) {
    boolean wanted = f == pending;
    if (wanted) {
      pending = null;
      endAcquiring();
    }
    if (f.isSuccess()) {
      if (wanted) {
        callback.onAcquired(f.getNow());
      } else {
        f.getNow().release(); // the client left or timed out meanwhile; the connection is clean
      }
    } else if (wanted) {
      onConnectFailure(f.cause());
    }
  }

  private void onConnectFailure(Throwable cause) {
    lastFailure = cause.getMessage();
    px.metrics().connectFailure(backend.name());
    px.passiveHealth().onFailure(backend, cause.getMessage());
    log.debug("{}; trying another backend", cause.getMessage());
    px.metrics().retry(backend.name(), RetryPolicy.afterConnectFailure(cause).metricTag());
    acquire(); // nothing was sent: the queued body goes to the next backend as it is
  }
}
