package io.apilb.proxy;

import io.apilb.backend.pool.BackendAttempt;
import io.apilb.support.HttpMessageKinds;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One exchange's traffic through the attempt attached to it, both ways, and the attempt's
 * listener: the request head and body go to the backend, the response comes back to the client
 * as it arrives (a watch's in whole events only), flushed once per backend read. Backpressure
 * lives here: the client is read only while the backend is writable, the backend only while the
 * client is. What is more than passing bytes on goes to the {@link Exchange}, which decides: a
 * head it takes instead of the client, the response's end, a watch's due end, a lost backend.
 *
 * <p>One per exchange, attached to each attempt in turn, exactly while the exchange is
 * forwarding; what a detached attempt still sends is dropped. Event loop only.
 */
final class AttemptRelay implements BackendAttempt.Listener {
  /** The exchange's decisions; asked for only while the relay is attached. */
  interface Exchange {
    /**
     * A response head before it reaches the client: true when the exchange took it instead (a
     * 101 that starts a tunnel, a draining backend's rejection sent elsewhere) and released it.
     */
    boolean interceptsHead(HttpResponse head);

    /** The backend's response is complete, written and flushed to the client. */
    void onResponseComplete();

    /** A watch's end was asked for (rebalancing, shutdown) and it is at an event boundary. */
    void endWatchNow();

    /** The backend connection or stream is gone (closed, refused unprocessed, or malformed). */
    void onBackendLost(BackendLoss loss);
  }

  private final ProxyContext px;
  private final ClientSide client;
  private final Completion completion;
  private final RequestBody body;
  private final Exchange exchange;
  /** Null while none is attached. */
  private BackendAttempt attempt;
  private Admission.Admitted request;
  private boolean responseStarted;
  private int responseStatus;
  private boolean backendKeepAlive;
  private WatchStream watch;

  AttemptRelay(ProxyContext px, ClientSide client, Completion completion, RequestBody body, Exchange exchange) {
    this.px = px;
    this.client = client;
    this.completion = completion;
    this.body = body;
    this.exchange = exchange;
  }

  // ---------------------------------------------------------------- attaching and detaching

  /**
   * Attaches {@code acquired} and starts the request on it: the head, then the body queued while
   * no backend was attached; the client is read on if more body is to come and the backend can
   * take it.
   */
  void start(BackendAttempt acquired, Admission.Admitted request) {
    acquired.start(this, request.requestClass().longRunning());
    attempt = acquired;
    this.request = request;
    attempt.write(request.backendHead());
    boolean moreBody = body.sendQueued(attempt);
    attempt.read();
    if (moreBody) {
      client.read(); // last: a broken body read at once ends the exchange
    }
  }

  /**
   * Lets go of the attempt, returned for the exchange to release, close or hand over (null if
   * none was attached); a watch leaves the registry, and an event it held unfinished is dropped.
   */
  BackendAttempt detach() {
    if (watch != null) {
      watch.close();
      watch = null;
    }
    BackendAttempt a = attempt;
    attempt = null;
    return a;
  }

  // ---------------------------------------------------------------- client → backend

  /** Request content after the start: to the backend, unless the body already ended. Takes the content. */
  void forward(HttpContent content) {
    if (body.complete()) {
      content.release(); // the client's empty end of a request announced without a body, already sent
      return;
    }
    if (body.forward(content, attempt)) {
      client.read();
    }
  }

  /** The client can take more: the backend is read on. */
  void onClientWritable() {
    if (attempt != null && client.isWritable()) {
      attempt.read(); // what was written is flushed when this backend read completes: one flush per read
    }
  }

  @Override
  public void onBackendWritabilityChanged(boolean writable) {
    if (writable && attempt != null && !body.complete()) {
      client.read();
    }
  }

  // ---------------------------------------------------------------- backend → client

  @Override
  public void onBackendMessage(Object msg) {
    // HttpMessageKinds: exact classes first, so no per-class interface cache is rewritten per message
    if (attempt == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    HttpResponse response = HttpMessageKinds.asResponse(msg);
    HttpContent content = response == null ? HttpMessageKinds.asContent(msg) : null;
    HttpObject o = response != null ? response : content != null ? content : msg instanceof HttpObject h ? h : null;
    if (o == null) {
      ReferenceCountUtil.release(msg);
    } else if (o.decoderResult().isFailure()) {
      // never shown complete: the client's response breaks (or a watch ends at its last event)
      ReferenceCountUtil.release(msg);
      exchange.onBackendLost(BackendLoss.malformed(Admission.rootMessage(o.decoderResult().cause())));
    } else if (response != null) {
      onResponseHead(response);
    } else if (content != null) {
      onResponseContent(content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onResponseHead(HttpResponse resp) {
    if (exchange.interceptsHead(resp)) {
      return;
    }
    int code = resp.status().code();
    px.passiveHealth().onResponse(attempt.backend(), code);
    completion.responseHead(resp);
    responseStarted = true;
    responseStatus = code;
    backendKeepAlive = HttpUtil.isKeepAlive(resp);
    boolean ends = HttpMessageKinds.isLast(resp);
    client.writeResponseHead(resp, request.method(), ends);
    if (attempt == null) { // the write failed and the client's close ended the exchange at once
      ReferenceCountUtil.release(resp);
      return;
    }
    watch = WatchStream.ofResponse(resp, request.requestClass(), request.backendHead().uri(), px,
        attempt.backend().name(), client.eventLoop(), client.alloc(), exchange::endWatchNow);
    ReferenceCountUtil.release(resp);
    if (ends) {
      client.flush();
      exchange.onResponseComplete();
    } else {
      onClientWritable();
    }
  }

  private void onResponseContent(HttpContent content) {
    completion.responseBytes(content.content().readableBytes());
    boolean last = HttpMessageKinds.isLast(content);
    if (watch != null) {
      content = watch.wholeEvents(content, last);
    }
    // void promises: a failed client write closes the client, which ends the exchange
    client.writeContent(content);
    if (last) {
      client.flush();
      exchange.onResponseComplete();
    } else if (watch != null && watch.endDue()) {
      exchange.endWatchNow();
    } else {
      onClientWritable();
    }
  }

  @Override
  public void onBackendReadComplete() {
    if (attempt != null) {
      client.flush();
    }
  }

  /** An HTTP/2 backend provably did not process the request: elsewhere, whatever the verb. */
  @Override
  public void onBackendRefused(String why) {
    if (attempt != null) {
      exchange.onBackendLost(BackendLoss.refused(why));
    }
  }

  @Override
  public void onBackendInactive() {
    if (attempt != null) {
      exchange.onBackendLost(BackendLoss.CLOSED);
    }
  }

  // ---------------------------------------------------------------- what the client got

  /** A backend's response head reached the client: a failure can now only break the stream. */
  boolean responseStarted() {
    return responseStarted;
  }

  /** The status of the head that reached the client, once {@link #responseStarted}. */
  int responseStatus() {
    return responseStatus;
  }

  /** The backend keeps its connection open after this response (it may be pooled again). */
  boolean backendKeepsAlive() {
    return backendKeepAlive;
  }

  /** A watch whose client has received whole events only: it can end cleanly now. */
  boolean atWatchBoundary() {
    return watch != null && watch.atEventBoundary();
  }

  /**
   * Ends the client's response with a clean end of stream (the attempt is already detached), as
   * kube-apiserver's own watch timeout does: the client re-watches from its last resourceVersion.
   */
  void endCleanly() {
    client.writeContent(LastHttpContent.EMPTY_LAST_CONTENT);
    client.flush();
  }
}
