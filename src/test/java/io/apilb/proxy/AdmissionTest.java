package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.pool.ConnectionKind;
import io.apilb.balancing.RequestClass;
import io.apilb.config.IdentityConfig;
import io.apilb.tls.ClientCertificateResult;
import io.apilb.tls.ClientIdentity;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Admission as a table: request head and connection facts in, admitted head or refusal out. */
class AdmissionTest {
  private static final IdentityHeaders IDENTITY = new IdentityHeaders(IdentityConfig.KUBEADM);
  private static final ClientIdentity ALICE = new ClientIdentity("alice", List.of("dev"), Optional.empty(), Map.of());
  private static final ConnectionFacts H1 = new ConnectionFacts(false, "10.1.2.3", ClientCertificateResult.none());
  private static final ConnectionFacts H2 = new ConnectionFacts(true, "10.1.2.3", ClientCertificateResult.none());
  private static final ConnectionFacts H1_ALICE =
      new ConnectionFacts(false, "10.1.2.3", ClientCertificateResult.verified(ALICE));
  private static final ConnectionFacts H1_REJECTED =
      new ConnectionFacts(false, "10.1.2.3", ClientCertificateResult.rejected("unknown CA"));

  /** What a row expects of an admitted request. */
  private record Admits(RequestClass requestClass, boolean bodyFollows, ConnectionKind kind, Map<String, String> headers,
      List<String> absent) {}

  private static HttpRequest head(HttpMethod method, String uri, String... headers) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    for (int i = 0; i < headers.length; i += 2) {
      r.headers().add(headers[i], headers[i + 1]);
    }
    return r;
  }

  private static HttpRequest failed(Throwable cause) {
    HttpRequest r = head(HttpMethod.GET, "/bad-request");
    r.setDecoderResult(DecoderResult.failure(cause));
    return r;
  }

  static Stream<Arguments> admitted() {
    return Stream.of(
        Arguments.of("a get", head(HttpMethod.GET, "/api/v1/pods"), H1,
            new Admits(RequestClass.SHORT, false, ConnectionKind.NO_CLIENT_CERT,
                Map.of("X-Forwarded-For", "10.1.2.3"), List.of("Transfer-Encoding"))),
        Arguments.of("a watch", head(HttpMethod.GET, "/api/v1/pods?watch=true"), H1,
            new Admits(RequestClass.LONG_RUNNING, false, ConnectionKind.NO_CLIENT_CERT, Map.of(), List.of())),
        Arguments.of("an exec upgrade", head(HttpMethod.POST, "/api/v1/namespaces/d/pods/p/exec?command=sh",
                "Connection", "Upgrade", "Upgrade", "SPDY/3.1"), H1,
            new Admits(RequestClass.UPGRADE, false, ConnectionKind.NO_CLIENT_CERT,
                Map.of("Connection", "upgrade", "Upgrade", "SPDY/3.1"), List.of())),
        Arguments.of("a chunked post", head(HttpMethod.POST, "/api/v1/namespaces/d/configmaps",
                "Transfer-Encoding", "chunked"), H1,
            new Admits(RequestClass.SHORT, true, ConnectionKind.NO_CLIENT_CERT,
                Map.of("Transfer-Encoding", "chunked"), List.of())),
        Arguments.of("an HTTP/2 post without length", head(HttpMethod.POST, "/api/v1/namespaces/d/configmaps"), H2,
            new Admits(RequestClass.SHORT, true, ConnectionKind.NO_CLIENT_CERT,
                Map.of("Transfer-Encoding", "chunked"), List.of())),
        Arguments.of("client identity headers and X-Forwarded-For", head(HttpMethod.GET, "/api",
                "X-Remote-User", "system:admin", "x-remote-group", "system:masters", "X-Forwarded-For", "1.1.1.1",
                "Authorization", "Bearer t"), H1,
            new Admits(RequestClass.SHORT, false, ConnectionKind.NO_CLIENT_CERT,
                Map.of("X-Forwarded-For", "1.1.1.1, 10.1.2.3", "Authorization", "Bearer t"),
                List.of("X-Remote-User", "X-Remote-Group"))),
        Arguments.of("a verified certificate", head(HttpMethod.GET, "/api", "X-Remote-User", "mallory",
                "Authorization", "Bearer t"), H1_ALICE,
            new Admits(RequestClass.SHORT, false, ConnectionKind.FRONT_PROXY,
                Map.of("X-Remote-User", "alice", "X-Remote-Group", "dev"), List.of("Authorization"))),
        Arguments.of("a rejected certificate with a token", head(HttpMethod.GET, "/api", "Authorization", "Bearer t"),
            H1_REJECTED, new Admits(RequestClass.SHORT, false, ConnectionKind.NO_CLIENT_CERT,
                Map.of("Authorization", "Bearer t"), List.of("X-Remote-User"))),
        Arguments.of("hop-by-hop headers", head(HttpMethod.GET, "/api", "Connection", "keep-alive, X-Secret",
                "X-Secret", "s", "Keep-Alive", "timeout=5", "TE", "trailers", "Proxy-Authorization", "p"), H1,
            new Admits(RequestClass.SHORT, false, ConnectionKind.NO_CLIENT_CERT, Map.of(),
                List.of("Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Authorization"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("admitted")
  void admits(String name, HttpRequest req, ConnectionFacts facts, Admits expected) {
    String before = req.headers().toString();

    Admission.Result result = Admission.admit(req, facts, IDENTITY);

    assertThat(result).isInstanceOf(Admission.Admitted.class);
    Admission.Admitted a = (Admission.Admitted) result;
    assertThat(a.requestClass()).isEqualTo(expected.requestClass());
    assertThat(a.bodyFollows()).isEqualTo(expected.bodyFollows());
    assertThat(a.identity().kind()).isEqualTo(expected.kind());
    assertThat(a.method()).isEqualTo(req.method());
    assertThat(a.backendHead().uri()).isEqualTo(req.uri());
    assertThat(a.backendHead().protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    expected.headers().forEach((k, v) -> assertThat(a.backendHead().headers().getAll(k)).as(k).containsExactly(v));
    expected.absent().forEach(h -> assertThat(a.backendHead().headers().contains(h)).as(h).isFalse());
    assertThat(req.headers().toString()).as("the client's head is not modified").isEqualTo(before);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("headers too large", failed(new TooLongHttpHeaderException("too long")), H1,
            ProxyFailure.HEADERS_TOO_LARGE, "request headers too large", false),
        Arguments.of("a malformed request", failed(new IllegalArgumentException("invalid version format: X")), H1,
            ProxyFailure.BAD_REQUEST, "malformed HTTP request: invalid version format: X", false),
        Arguments.of("an upgrade over HTTP/2", head(HttpMethod.GET, "/api/v1/namespaces/d/pods/p/exec",
            "Connection", "Upgrade", "Upgrade", "websocket"), H2, ProxyFailure.UPGRADE_NOT_SUPPORTED,
            "CONNECT and protocol upgrades are not supported over HTTP/2", false),
        Arguments.of("CONNECT", head(HttpMethod.CONNECT, "apilb:443"), H1, ProxyFailure.UPGRADE_NOT_SUPPORTED,
            "CONNECT", true),
        Arguments.of("a rejected certificate without a token", head(HttpMethod.GET, "/api"), H1_REJECTED,
            ProxyFailure.UNAUTHORIZED, "unknown CA", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refuses(String name, HttpRequest req, ConnectionFacts facts, ProxyFailure failure, String message,
      boolean complete) {
    Admission.Result result = Admission.admit(req, facts, IDENTITY);

    assertThat(result).isInstanceOf(Admission.Refused.class);
    Admission.Refused r = (Admission.Refused) result;
    assertThat(r.failure()).isEqualTo(failure);
    assertThat(r.message()).contains(message);
    assertThat(r.complete()).as("nothing follows the head").isEqualTo(complete);
  }

  @org.junit.jupiter.api.Test
  void aWholeHttp2RequestWithABodyGetsItsLength() {
    var req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/namespaces/d/configmaps",
        Unpooled.copiedBuffer("{\"a\":1}", StandardCharsets.UTF_8));
    try {
      Admission.Admitted a = (Admission.Admitted) Admission.admit(req, H2, IDENTITY);

      assertThat(a.bodyFollows()).isTrue();
      assertThat(a.backendHead().headers().get("Content-Length")).isEqualTo("7");
      assertThat(a.backendHead().headers().contains("Transfer-Encoding")).isFalse();
    } finally {
      req.release();
    }
  }
}
