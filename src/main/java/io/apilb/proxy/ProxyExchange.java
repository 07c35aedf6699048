package io.apilb.proxy;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.backend.pool.Sharing;
import io.apilb.balancing.RequestClass;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request through exactly one backend (a second only when {@link RetryPolicy} says
 * the first provably did not process it): the request's state machine and its sequence, nothing
 * else. The client is a {@link ClientSide} (an HTTP/1.1 connection or an HTTP/2 stream), the
 * backend a {@link BackendAttempt}; admission, the body and its retry copy, finding a backend and
 * retrying ({@link BackendAcquirer}), the relay both ways ({@link AttemptRelay}), the answer to a
 * failure ({@link FailureAnswer}), the tunnel after a 101 ({@link TunnelHandOver}) and the
 * completion record are parts of their own, which report here: the exchange decides what follows,
 * and every way the request ends goes through {@link #end}.
 *
 * <p>States: {@code CONNECTING → FORWARDING → DONE} (back to {@code CONNECTING} for a retry);
 * the {@link AttemptRelay} holds the attempt exactly while {@code FORWARDING}, and relays
 * through it both ways. Everything runs on the client's event loop, backend included, so no field
 * is volatile.
 */
public final class ProxyExchange implements BackendAcquirer.Callback, AttemptRelay.Exchange {
  private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

  private enum State { CONNECTING, FORWARDING, DONE }

  private final ProxyContext px;
  private final ClientSide client;
  private final Completion completion;
  private final RequestBody body;
  private final AttemptRelay relay;
  private State state = State.CONNECTING;
  private Admission.Admitted request;
  private BackendAcquirer acquirer;
  private BackendEntry backend; // the current attempt's
  private RequestDeadline deadline = RequestDeadline.NONE;

  public ProxyExchange(ProxyContext px, ClientSide client) {
    this.px = px;
    this.client = client;
    this.completion = new Completion(px, client.facts());
    this.body = new RequestBody(px.config().retryBufferBytes());
    this.relay = new AttemptRelay(px, client, completion, body, this);
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
    } else if (state == State.FORWARDING) {
      relay.forward(content);
    } else {
      content.release(); // a body we no longer forward (the exchange already answered)
    }
  }

  public void onClientWritable() {
    relay.onClientWritable();
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
    endEarly(ProxyFailure.CLIENT_CLOSED, 499);
    if (sentWhole) {
      relay.detach().abandon(px.config().requestTimeout()); // its answer is dropped; the connection stays
    } else {
      dropBackend(); // cancels the backend request now
    }
  }

  @Override
  public void onAcquired(BackendAttempt acquired) {
    backend = acquired.backend();
    state = State.FORWARDING;
    relay.start(acquired, request);
  }

  @Override
  public void onNoBackend(String why) {
    // after a retry for a broken connection the first backend may have executed it: no Retry-After
    fail(acquirer.mayHaveExecuted() ? ProxyFailure.BACKEND_RESET : ProxyFailure.NO_READY_BACKEND, why);
  }

  // ---------------------------------------------------------------- what the attempt relay reports

  @Override
  public boolean interceptsHead(HttpResponse head) {
    int code = head.status().code();
    if (code == 101 && request.requestClass() == RequestClass.UPGRADE) {
      ReferenceCountUtil.release(head);
      switchToTunnel(head);
      return true;
    }
    RetryReason rejected = RetryPolicy.rejectedBeforeExecution(head);
    if (rejected != null) {
      px.passiveHealth().onShuttingDown(backend, "answered " + code + " (" + rejected.metricTag() + ")");
      if (acquirer.mayRetry(rejected, request.method(), body)) {
        ReferenceCountUtil.release(head); // not executed: the rest of this answer is not needed
        retryElsewhere(rejected, "backend " + backend.name() + " answered " + code + " while shutting down");
        return true;
      }
    }
    return false;
  }

  @Override
  public void onResponseComplete() {
    boolean requestComplete = body.complete();
    end(relay.responseStatus(), null, true);
    BackendAttempt a = relay.detach();
    if (requestComplete && relay.backendKeepsAlive() && request.requestClass() != RequestClass.UPGRADE) {
      a.release();
    } else {
      a.close();
    }
    client.responseEnded(requestComplete);
  }

  /**
   * The backend connection is gone (closed, refused, or dropped for a malformed response). A
   * watch that gave its client whole events only ends cleanly, like a server-side watch timeout:
   * the client re-watches from its last resourceVersion elsewhere.
   */
  @Override
  public void onBackendLost(BackendLoss loss) {
    boolean cleanWatchEnd = relay.atWatchBoundary();
    relay.detach().close(); // never pooled again
    loss.report(px.passiveHealth(), backend, cleanWatchEnd, relay.responseStarted());
    if (cleanWatchEnd) {
      endClientStreamCleanly();
    } else if (relay.responseStarted()) {
      // mid-response: the status line is gone; the only honest signal is to break the stream
      end(relay.responseStatus(), loss.failure(true), true);
      client.abort();
    } else if (acquirer.mayRetry(loss.retryReason(), request.method(), body)) {
      retryElsewhere(loss.retryReason(), loss.beforeResponse(backend.name()));
    } else {
      fail(loss.failure(false), loss.beforeResponse(backend.name())); // Retry-After only if unprocessed
    }
  }

  /** Ends the client's watch cleanly (a clean end of stream, not an error) and drops the backend stream. */
  @Override
  public void endWatchNow() {
    if (state != State.FORWARDING) {
      return;
    }
    log.debug("ending watch on {} to rebalance", backend.name());
    relay.detach().close();
    endClientStreamCleanly();
  }

  // ---------------------------------------------------------------- the ways it ends

  /** Completes the client's response (the backend side is already detached). */
  private void endClientStreamCleanly() {
    boolean requestComplete = body.complete();
    end(relay.responseStatus(), null, true);
    relay.endCleanly();
    client.responseEnded(requestComplete);
  }

  private void switchToTunnel(HttpResponse switching) {
    end(101, null, true);
    TunnelHandOver.start(switching, request.backendHead(), relay.detach(), client, px, backend.name());
  }

  /**
   * Sends the whole request to another backend; the current connection is closed (a rejecting
   * apiserver said Connection: close, or is shutting down). {@code why} names the failure.
   */
  private void retryElsewhere(RetryReason reason, String why) {
    closeAttempt();
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
    endEarly(failure, failure.status().code());
    FailureAnswer.send(client, request == null ? null : request.method(), failure, message,
        relay.responseStarted(), requestComplete);
  }

  /** Ends a request without its whole response: recorded with what the client got, or {@code status} if nothing yet. */
  private void endEarly(ProxyFailure failure, int status) {
    boolean started = relay.responseStarted();
    end(started ? relay.responseStatus() : status, failure, started);
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
    closeAttempt();
  }

  /** Detaches the current attempt, if any, and closes it: the backend sees the request cut off. */
  private void closeAttempt() {
    BackendAttempt a = relay.detach();
    if (a != null) {
      a.close();
    }
  }
}
