package io.apilb.proxy;

import io.apilb.balancing.RequestClass;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;

/**
 * Whether a request head may go to a backend, and as what: a pure function of the head, the
 * connection's facts and the identity rules. The client's head is not modified; the backend's is
 * a new head with hop-by-hop and client identity headers removed, {@code X-Forwarded-For} added
 * and a verified certificate's identity asserted.
 */
public final class Admission {
  private Admission() {}

  /** The outcome: {@link Admitted} or {@link Refused}. */
  public sealed interface Result permits Admitted, Refused {}

  /**
   * @param backendHead the head to send (a copy)
   * @param identity which kind of backend connection, and the asserted identity if any
   * @param bodyFollows request content follows the head
   */
  public record Admitted(HttpRequest backendHead, HttpMethod method, RequestClass requestClass,
      IdentityHeaders.Decision identity, boolean bodyFollows) implements Result {}

  /**
   * @param framingLost the request could not be parsed, so where it ends is unknown: an HTTP/1.1
   *     connection must close after the answer
   */
  public record Refused(ProxyFailure failure, String message, boolean framingLost) implements Result {}

  public static Result admit(HttpRequest req, ConnectionFacts facts, IdentityHeaders identityHeaders) {
    DecoderResult decoded = req.decoderResult();
    if (decoded.isFailure()) {
      boolean tooLarge = decoded.cause() instanceof TooLongHttpHeaderException;
      return tooLarge ? new Refused(ProxyFailure.HEADERS_TOO_LARGE, "request headers too large", true)
          : new Refused(ProxyFailure.BAD_REQUEST, "malformed HTTP request: " + rootMessage(decoded.cause()), true);
    }
    String badTarget = invalidTargetCharacter(req.uri());
    if (badTarget != null) {
      return new Refused(ProxyFailure.BAD_REQUEST, "invalid character " + badTarget + " in the request target", false);
    }
    String expect = req.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null && !expect.equalsIgnoreCase("100-continue")) {
      return new Refused(ProxyFailure.EXPECTATION_FAILED, "unsupported expectation: " + expect, false);
    }
    RequestClass requestClass = RequestClassifier.classify(req.uri(), req.headers());
    boolean full = req instanceof FullHttpRequest;
    boolean bodyFollows = full ? ((FullHttpRequest) req).content().isReadable()
        : (facts.http2() || HeaderRules.requestHasBody(req));
    HttpRequest backendHead = HeaderRules.backendRequest(req, requestClass == RequestClass.UPGRADE, bodyFollows,
        facts.clientAddress());
    IdentityHeaders.Decision identity = identityHeaders.forRequest(backendHead.headers(), facts.certificate());
    if (identity.refusal().isPresent()) {
      return new Refused(ProxyFailure.UNAUTHORIZED, identity.refusal().get(), false);
    }
    if (req.method().equals(HttpMethod.CONNECT) || (facts.http2() && requestClass == RequestClass.UPGRADE)) {
      return new Refused(ProxyFailure.UPGRADE_NOT_SUPPORTED,
          "CONNECT and protocol upgrades are not supported over HTTP/2; use HTTP/1.1 for exec, attach and port-forward",
          false);
    }
    identity.applyTo(backendHead.headers());
    if (full && bodyFollows && !backendHead.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      backendHead.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      backendHead.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ((FullHttpRequest) req).content().readableBytes());
    }
    return new Admitted(backendHead, req.method(), requestClass, identity, bodyFollows);
  }

  /**
   * The first control character, space or DEL in a request target, as {@code 0xNN}; null when it
   * has none. Such bytes are never valid there (RFC 9112 section 3.2), and a backend that
   * tolerated them would see a different request than a strict one.
   */
  static String invalidTargetCharacter(String target) {
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c == 0x7F) {
        return String.format("0x%02X", (int) c);
      }
    }
    return null;
  }

  static String rootMessage(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    if (t instanceof TooLongFrameException) {
      return t.getMessage();
    }
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
  }
}
