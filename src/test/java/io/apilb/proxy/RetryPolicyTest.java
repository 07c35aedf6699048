package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.pool.BackendConnectException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When a request may go to a second backend, reason by reason. */
class RetryPolicyTest {
  private static final int LIMIT = 16;

  /** A body of {@code bytes} bytes, ended or not, read through a retry buffer of {@link #LIMIT}. */
  private static RequestBody body(int bytes, boolean complete) {
    RequestBody b = new RequestBody(LIMIT);
    if (bytes > 0) {
      DefaultHttpContent c = new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[bytes]));
      b.received(c);
      c.release();
    }
    if (complete) {
      b.received(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    return b;
  }

  static Stream<Arguments> decisions() {
    return Stream.of(
        // nothing was sent: any verb, any body
        Arguments.of(RetryReason.CONNECT, HttpMethod.POST, 100, false, 0, true),
        Arguments.of(RetryReason.TLS, HttpMethod.DELETE, 0, true, 1, true),
        // rejected unexecuted: any verb whose whole body is kept
        Arguments.of(RetryReason.SHUTDOWN_503, HttpMethod.POST, 10, true, 0, true),
        Arguments.of(RetryReason.SHUTDOWN_429, HttpMethod.PATCH, 10, true, 5, true),
        Arguments.of(RetryReason.SHUTDOWN_503, HttpMethod.POST, 17, true, 0, false), // outgrew the buffer
        Arguments.of(RetryReason.SHUTDOWN_429, HttpMethod.PUT, 10, false, 0, false), // body not complete
        // the connection broke after the request was written: reads without a body, once
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.GET, 0, true, 0, true),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.HEAD, 0, true, 0, true),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.OPTIONS, 0, true, 0, true),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.GET, 0, true, 1, false),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.GET, 3, true, 0, false),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.GET, 0, false, 0, false),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.POST, 0, true, 0, false),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.DELETE, 0, true, 0, false),
        Arguments.of(RetryReason.BACKEND_RESET, HttpMethod.PATCH, 0, true, 0, false));
  }

  @ParameterizedTest(name = "{0} {1} body={2} complete={3} retries={4} -> {5}")
  @MethodSource("decisions")
  void decides(RetryReason reason, HttpMethod method, int bodyBytes, boolean complete, int retries, boolean retried) {
    RequestBody b = body(bodyBytes, complete);
    try {
      assertThat(RetryPolicy.mayRetry(reason, method, b, retries)).isEqualTo(retried);
    } finally {
      b.release();
    }
  }

  private static HttpResponse response(int code, String... headers) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code));
    for (int i = 0; i < headers.length; i += 2) {
      r.headers().add(headers[i], headers[i + 1]);
    }
    return r;
  }

  @Test
  void onlyAShuttingDownApiserversRejectionsAreUnexecuted() {
    assertThat(RetryPolicy.rejectedBeforeExecution(response(429, "Connection", "close")))
        .isEqualTo(RetryReason.SHUTDOWN_429);
    assertThat(RetryPolicy.rejectedBeforeExecution(response(503, "Retry-After", "1")))
        .isEqualTo(RetryReason.SHUTDOWN_503);
    assertThat(RetryPolicy.rejectedBeforeExecution(response(429, "Retry-After", "1"))).isNull(); // priority and fairness
    assertThat(RetryPolicy.rejectedBeforeExecution(response(503))).isNull();
    assertThat(RetryPolicy.rejectedBeforeExecution(response(500, "Connection", "close"))).isNull();
  }

  @Test
  void connectAndTlsFailuresAreToldApart() {
    assertThat(RetryPolicy.afterConnectFailure(new BackendConnectException("tls", true, null))).isEqualTo(RetryReason.TLS);
    assertThat(RetryPolicy.afterConnectFailure(new BackendConnectException("refused", false, null)))
        .isEqualTo(RetryReason.CONNECT);
    assertThat(RetryPolicy.afterConnectFailure(new java.io.IOException("x"))).isEqualTo(RetryReason.CONNECT);
  }
}
