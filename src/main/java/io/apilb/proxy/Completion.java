package io.apilb.proxy;

import io.apilb.balancing.RequestClass;
import io.apilb.tls.ClientIdentity;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import java.time.Instant;

/**
 * What one request did, gathered as it happens and emitted exactly once when it ends: to the
 * request metrics (only when a backend's response reached the client), the failure counter and
 * the access log. Later calls to {@link #emit} do nothing, so every end path may call it.
 */
final class Completion {
  /** Lower case: an HTTP/2 block is looked up without a lower-cased copy of the name. */
  private static final AsciiString AUDIT_ID = AsciiString.cached("audit-id");
  private final ProxyContext px;
  private final ConnectionFacts facts;
  private final long startNanos = System.nanoTime();
  private Instant startedAt;
  private String uri = "";
  private String identityLabel = "anonymous";
  private HttpMethod method = HttpMethod.GET;
  private RequestClass requestClass = RequestClass.SHORT;
  private String backend = "";
  private int attempts;
  private String auditId = "";
  private long responseBytes;
  private boolean emitted;

  Completion(ProxyContext px, ConnectionFacts facts) {
    this.px = px;
    this.facts = facts;
  }

  /** The client's request head arrived. */
  void request(HttpRequest req) {
    method = req.method();
    uri = req.uri();
    if (px.accessLog().enabled()) {
      startedAt = Instant.now();
      identityLabel = credentialKind(req);
    }
  }

  void admitted(RequestClass requestClass, IdentityHeaders.Decision identity) {
    this.requestClass = requestClass;
    if (identity.identity().isPresent()) {
      ClientIdentity id = identity.identity().get();
      identityLabel = id.user();
    }
  }

  /** A backend was chosen (the first, or another after a retry). */
  void backend(String name) {
    backend = name;
    attempts++;
  }

  void responseHead(HttpResponse response) {
    String id = response.headers().get(AUDIT_ID);
    auditId = id == null ? "" : id;
  }

  void responseBytes(long n) {
    responseBytes += n;
  }

  long startNanos() {
    return startNanos;
  }

  /**
   * Records the request's end, once.
   *
   * @param status what the client got (499 when it left first)
   * @param failure what went wrong, or null
   * @param relayed a backend's response head reached the client
   */
  void emit(int status, ProxyFailure failure, boolean relayed) {
    if (emitted) {
      return;
    }
    emitted = true;
    long nanos = System.nanoTime() - startNanos;
    RequestInfo info = null;
    if (relayed && !backend.isEmpty()) {
      info = RequestInfo.parse(method.name(), uri);
      px.metrics().requestCompleted(backend, requestClass.label(), requestClass != RequestClass.SHORT,
          metricVerb(info.verb()), info.apiGroup(), info.resource(), info.subresource(), status, nanos);
    }
    if (failure != null) {
      px.metrics().proxyFailure(failure.metricTag());
    }
    if (startedAt != null) {
      int q = uri.indexOf('?');
      px.accessLog().record(new AccessLogEntry(startedAt, facts.clientAddress(), facts.protocol(), identityLabel,
          method.name(), q < 0 ? uri : uri.substring(0, q), info != null ? info : RequestInfo.parse(method.name(), uri),
          requestClass.label(), backend, status, responseBytes, nanos / 1000, Math.max(0, attempts - 1), auditId,
          failure == null ? null : failure.metricTag()));
    }
  }

  /** kube-apiserver's metric spelling of a verb (constants: no allocation per request). */
  private static String metricVerb(String verb) {
    return switch (verb) {
      case "get" -> "GET";
      case "list" -> "LIST";
      case "watch" -> "WATCH";
      case "create" -> "CREATE";
      case "update" -> "UPDATE";
      case "patch" -> "PATCH";
      case "delete" -> "DELETE";
      case "deletecollection" -> "DELETECOLLECTION";
      case "connect" -> "CONNECT";
      case "post" -> "POST";
      case "put" -> "PUT";
      case "head" -> "HEAD";
      case "options" -> "OPTIONS";
      default -> "other";
    };
  }

  boolean emitted() {
    return emitted;
  }

  /** "token" when the request carries a bearer credential (header or WebSocket subprotocol), else "anonymous". */
  private static String credentialKind(HttpRequest req) {
    if (req.headers().contains(HttpHeaderNames.AUTHORIZATION)) {
      return "token";
    }
    String protocols = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "");
    return protocols.contains(IdentityHeaders.WEBSOCKET_BEARER_PREFIX) ? "token" : "anonymous";
  }
}
