package io.apilb.proxy;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.backend.pool.Sharing;
import io.apilb.balancing.RequestClass;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request through exactly one backend (a second only when {@link RetryPolicy} says
 * the first provably did not process it): the request's state machine and its sequence, nothing
 * else. The client is a {@link ClientSide} (an HTTP/1.1 connection or an HTTP/2 stream), the
 * backend a {@link BackendAttempt}; admission, the body and its retry copy, retry decisions,
 * watch boundaries, the tunnel after a 101 and the completion record are parts of their own.
 *
 * <p>States: {@code CONNECTING → FORWARDING → DONE} (back to {@code CONNECTING} for a retry).
 * Backpressure: the client is read only while the backend is writable, the backend only while
 * the client is. Everything runs on the client's event loop, backend included, so no field is
 * volatile.
 */
public final class ProxyExchange implements BackendAttempt.Listener, BackendAcquirer.Callback {
  private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

  private enum State { CONNECTING, FORWARDING, DONE }

  private final ProxyContext px;
  private final ClientSide client;
  private final Completion completion;
  private final RequestBody body;
  private State state = State.CONNECTING;
  private Admission.Admitted request;
  private BackendAcquirer acquirer;
  private BackendEntry backend; // the current attempt's
  private BackendAttempt attempt;
  private boolean responseStarted;
  private int responseStatus;
  private boolean backendKeepAlive;
  private WatchStream watch;
  private RequestDeadline deadline = RequestDeadline.NONE;

  public ProxyExchange(ProxyContext px, ClientSide client) {
    this.px = px;
    this.client = client;
    this.completion = new Completion(px, client.facts());
    this.body = new RequestBody(px.config().retryBufferBytes());
  }

  // ---------------------------------------------------------------- client → backend

  /** The request head; called once, first. */
  public void onRequestHead(HttpRequest req) {
    completion.request(req);
    Admission.Result result = Admission.admit(req, client.facts(), px.identityHeaders());
    if (result instanceof Admission.Refused refused) {
      if (refused.complete()) {
        body.received(LastHttpContent.EMPTY_LAST_CONTENT); // nothing follows: the connection may stay
      }
      ReferenceCountUtil.release(req);
      fail(refused.failure(), refused.message());
      return;
    }
    request = (Admission.Admitted) result;
    completion.admitted(request.requestClass(), request.identity());
    body.begin(req, request.bodyFollows());
    if (request.requestClass() == RequestClass.SHORT) {
      deadline = RequestDeadline.start(client.eventLoop(), px.config().requestTimeout(), this::onRequestTimeout);
    }
    acquirer = new BackendAcquirer(px, client.eventLoop(), request.requestClass(), Sharing.of(request.identity().kind(),
        request.backendHead().headers().get(HttpHeaderNames.AUTHORIZATION), client.facts().credentialKeys()),
        completion, this);
    acquirer.acquire();
  }

  /** Request body content, in order, after the head. */
  public void onRequestContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      // broken framing (a bad chunk): the backend's connection closes with the body cut off, never
      // cleanly ended; the client gets 400 (or a reset), and HTTP/1.1 closes
      String why = "malformed request body: " + Admission.rootMessage(content.decoderResult().cause());
      content.release();
      if (state != State.DONE) {
        fail(ProxyFailure.BAD_REQUEST, why);
      }
      return;
    }
    content = RequestBody.withoutTrailers(content);
    if (state == State.CONNECTING) {
      body.received(content);
      body.queue(content);
      return;
    }
    if (state != State.FORWARDING || body.complete()) {
      content.release(); // a body we no longer forward (the exchange already answered)
      return;
    }
    if (body.forward(content, attempt)) {
      client.read();
    }
  }

  public void onClientWritable() {
    if (client.isWritable() && state == State.FORWARDING) {
      attempt.read();
    }
  }

  /**
   * The client sent no request body byte for {@code idleSeconds} while we waited for one (the
   * front end's request-body-idle timer). Ends a short request whose body is unfinished: 408, or
   * a broken response if it already started. Long-running requests and upgrades keep their own
   * rules; answers whether the exchange was ended.
   */
  public boolean onRequestBodyIdle(long idleSeconds) {
    if (state == State.DONE || request == null || request.requestClass() != RequestClass.SHORT || body.complete()) {
      return false;
    }
    fail(ProxyFailure.REQUEST_BODY_TIMEOUT, "no request body byte for " + idleSeconds + "s");
    return true;
  }

  /** The client went away (connection closed, or the HTTP/2 stream reset). */
  public void onClientGone() {
    if (state == State.DONE) {
      return;
    }
    boolean sentWhole = state == State.FORWARDING && request.requestClass() == RequestClass.SHORT && body.complete();
    end(responseStarted ? responseStatus : 499, ProxyFailure.CLIENT_CLOSED, responseStarted);
    if (sentWhole) {
      detach().abandon(px.config().requestTimeout()); // its answer is dropped; the connection stays
    } else {
      dropBackend(); // cancels the backend request now
    }
  }

  @Override
  public void onAcquired(BackendAttempt acquired) {
    attempt = acquired;
    backend = acquired.backend();
    attempt.start(this, request.requestClass().longRunning());
    state = State.FORWARDING;
    attempt.write(request.backendHead());
    boolean moreBody = body.sendQueued(attempt);
    attempt.read();
    if (moreBody) {
      client.read(); // last: a broken body read at once ends the exchange
    }
  }

  @Override
  public void onNoBackend(String why) {
    // after a retry for a broken connection the first backend may have executed it: no Retry-After
    fail(acquirer.mayHaveExecuted() ? ProxyFailure.BACKEND_RESET : ProxyFailure.NO_READY_BACKEND, why);
  }

  // ---------------------------------------------------------------- backend → client

  @Override
  public void onBackendMessage(Object msg) {
    if (state != State.FORWARDING || !(msg instanceof HttpObject o)) {
      ReferenceCountUtil.release(msg);
    } else if (o.decoderResult().isFailure()) {
      // never shown complete: the client's response breaks (or a watch ends at its last event)
      ReferenceCountUtil.release(msg);
      onBackendLost(BackendLoss.malformed(Admission.rootMessage(o.decoderResult().cause())));
    } else if (msg instanceof HttpResponse response) {
      onResponseHead(response);
    } else if (msg instanceof HttpContent content) {
      onResponseContent(content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onResponseHead(HttpResponse resp) {
    int code = resp.status().code();
    if (code == 101 && request.requestClass() == RequestClass.UPGRADE) {
      ReferenceCountUtil.release(resp);
      switchToTunnel(resp);
      return;
    }
    RetryReason rejected = RetryPolicy.rejectedBeforeExecution(resp);
    if (rejected != null) {
      px.passiveHealth().onShuttingDown(backend, "answered " + code + " (" + rejected.metricTag() + ")");
      if (acquirer.mayRetry(rejected, request.method(), body)) {
        ReferenceCountUtil.release(resp); // not executed: the rest of this answer is not needed
        retryElsewhere(rejected, "backend " + backend.name() + " answered " + code + " while shutting down");
        return;
      }
    }
    px.passiveHealth().onResponse(backend, code);
    completion.responseHead(resp);
    responseStarted = true;
    responseStatus = code;
    backendKeepAlive = HttpUtil.isKeepAlive(resp);
    boolean ends = resp instanceof LastHttpContent;
    client.writeResponseHead(resp, request.method(), ends);
    watch = WatchStream.ofResponse(resp, request.requestClass(), request.backendHead().uri(), px, backend.name(),
        client.eventLoop(), client.alloc(), this::endWatchNow);
    ReferenceCountUtil.release(resp);
    if (ends) {
      client.flush();
      finish();
    } else if (state == State.FORWARDING && client.isWritable()) {
      attempt.read(); // what was written is flushed when this backend read completes: one flush per read
    }
  }

  private void onResponseContent(HttpContent content) {
    completion.responseBytes(content.content().readableBytes());
    boolean last = content instanceof LastHttpContent;
    if (watch != null) {
      content = watch.wholeEvents(content, last);
    }
    // void promises: a failed client write closes the client, which ends this exchange
    client.writeContent(content);
    if (last) {
      client.flush();
      finish();
    } else if (watch != null && watch.endDue()) {
      endWatchNow();
    } else if (state == State.FORWARDING && client.isWritable()) {
      attempt.read(); // what was written is flushed when this backend read completes: one flush per read
    }
  }

  @Override
  public void onBackendReadComplete() {
    if (state == State.FORWARDING) {
      client.flush();
    }
  }

  @Override
  public void onBackendWritabilityChanged(boolean writable) {
    if (writable && state == State.FORWARDING && !body.complete()) {
      client.read();
    }
  }

  /** An HTTP/2 backend provably did not process the request: elsewhere, whatever the verb. */
  @Override
  public void onBackendRefused(String why) {
    if (state == State.FORWARDING) {
      onBackendLost(BackendLoss.refused(why));
    }
  }

  @Override
  public void onBackendInactive() {
    if (state == State.FORWARDING) {
      onBackendLost(BackendLoss.CLOSED);
    }
  }

  /**
   * The backend connection is gone (closed, or dropped for a malformed response). A watch that
   * gave its client whole events only ends cleanly, like a server-side watch timeout: the client
   * re-watches from its last resourceVersion elsewhere.
   */
  private void onBackendLost(BackendLoss loss) {
    boolean cleanWatchEnd = watch != null && watch.atEventBoundary();
    detach().close(); // never pooled again
    loss.report(px.passiveHealth(), backend, cleanWatchEnd, responseStarted);
    if (cleanWatchEnd) {
      endClientStreamCleanly();
    } else if (responseStarted) {
      // mid-response: the status line is gone; the only honest signal is to break the stream
      end(responseStatus, loss.failure(true), true);
      client.abort();
    } else if (acquirer.mayRetry(loss.retryReason(), request.method(), body)) {
      retryElsewhere(loss.retryReason(), loss.beforeResponse(backend.name()));
    } else {
      fail(loss.failure(false), loss.beforeResponse(backend.name())); // Retry-After only if unprocessed
    }
  }

  /** The backend's response is complete. */
  private void finish() {
    boolean requestComplete = body.complete();
    end(responseStatus, null, true);
    BackendAttempt a = detach();
    if (requestComplete && backendKeepAlive && request.requestClass() != RequestClass.UPGRADE) {
      a.release();
    } else {
      a.close();
    }
    client.responseEnded(requestComplete);
  }

  // ---------------------------------------------------------------- watches and upgrades

  /** Ends the client's watch cleanly (a clean end of stream, not an error) and drops the backend stream. */
  private void endWatchNow() {
    if (state != State.FORWARDING) {
      return;
    }
    log.debug("ending watch on {} to rebalance", backend.name());
    detach().close();
    endClientStreamCleanly();
  }

  /** Completes the client's response (the backend side is already detached). */
  private void endClientStreamCleanly() {
    boolean requestComplete = body.complete();
    end(responseStatus, null, true);
    client.writeContent(LastHttpContent.EMPTY_LAST_CONTENT);
    client.flush();
    client.responseEnded(requestComplete);
  }

  private void switchToTunnel(HttpResponse switching) {
    end(101, null, true);
    BackendAttempt a = attempt;
    attempt = null;
    TunnelHandOver.start(switching, request.backendHead(), a, client, px, backend.name());
  }

  // ---------------------------------------------------------------- retries and failures

  /**
   * Sends the whole request to another backend; the current connection is closed (a rejecting
   * apiserver said Connection: close, or is shutting down). {@code why} names the failure.
   */
  private void retryElsewhere(RetryReason reason, String why) {
    if (attempt != null) {
      detach().close();
    }
    body.replay();
    state = State.CONNECTING;
    acquirer.retry(reason, why);
  }

  private void onRequestTimeout() {
    if (state != State.DONE) {
      fail(ProxyFailure.BACKEND_TIMEOUT, acquirer.timeoutMessage(px.config().requestTimeout()));
    }
  }

  /** Answers the client with a Status body (or breaks the stream if a response already began). */
  private void fail(ProxyFailure failure, String message) {
    boolean requestComplete = body.complete();
    dropBackend();
    end(responseStarted ? responseStatus : failure.status().code(), failure, responseStarted);
    FailureAnswer.send(client, request == null ? null : request.method(), failure, message, responseStarted,
        requestComplete);
  }

  /**
   * The request is over, whatever the way: recorded exactly once, its timer and body dropped.
   * What remains is finishing the client's response and the backend attempt.
   */
  private void end(int status, ProxyFailure failure, boolean relayed) {
    deadline.cancel();
    body.release();
    completion.emit(status, failure, relayed);
    state = State.DONE;
  }

  /** Stops a backend acquisition under way and closes the current attempt, if any. */
  private void dropBackend() {
    if (acquirer != null) {
      acquirer.cancel();
    }
    if (attempt != null) {
      detach().close();
    }
  }

  /** Ends the current attempt's ties to this exchange (the watch registration with it). */
  private BackendAttempt detach() {
    if (watch != null) {
      watch.close();
      watch = null;
    }
    BackendAttempt a = attempt;
    attempt = null;
    return a;
  }
}
