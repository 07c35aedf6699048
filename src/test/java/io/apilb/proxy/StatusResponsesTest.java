package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Status documents apilb answers with itself, read back as a client would (Jackson). Every
 * response is released after reading; LeakDetectionExtension (paranoid) fails the class on a leak.
 */
class StatusResponsesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  /** What a client sees of a response; the response itself is released once read. */
  private record Seen(HttpVersion version, HttpResponseStatus status, HttpHeaders headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() throws Exception {
      return JSON.readTree(body);
    }
  }

  private static Seen read(FullHttpResponse r) {
    try {
      byte[] body = new byte[r.content().readableBytes()];
      r.content().getBytes(r.content().readerIndex(), body);
      return new Seen(r.protocolVersion(), r.status(), r.headers().copy(), body);
    } finally {
      assertThat(r.release()).as("the response owns its only buffer reference").isTrue();
      assertThat(r.content().refCnt()).isZero();
    }
  }

  private static Seen status(HttpResponseStatus status, String reason, String message, int retryAfter) {
    return read(StatusResponses.status(ALLOC, status, reason, message, retryAfter));
  }

  @Test
  void rendersAKubernetesFailureStatus() throws Exception {
    Seen r = status(HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "no ready backend", 0);

    assertThat(r.version()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(r.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
    assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(r.headers().get(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache, private");

    JsonNode status = r.json();
    List<String> fields = new java.util.ArrayList<>();
    status.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactlyInAnyOrder("kind", "apiVersion", "metadata", "status", "message", "reason", "code");
    assertThat(status.get("kind").asText()).isEqualTo("Status");
    assertThat(status.get("apiVersion").asText()).isEqualTo("v1");
    assertThat(status.get("metadata").isObject()).isTrue();
    assertThat(status.get("metadata").isEmpty()).isTrue();
    assertThat(status.get("status").asText()).isEqualTo("Failure");
    assertThat(status.get("message").asText()).isEqualTo("no ready backend");
    assertThat(status.get("reason").asText()).isEqualTo("ServiceUnavailable");
    assertThat(status.get("code").isInt()).isTrue();
    assertThat(status.get("code").asInt()).isEqualTo(503);
    assertThat(r.text()).endsWith("}\n");
  }

  @ParameterizedTest
  @EnumSource(ProxyFailure.class)
  void failureAnswersWithTheStatusAndReasonOfItsKind(ProxyFailure failure) throws Exception {
    Seen r = read(StatusResponses.failure(ALLOC, failure, "what happened"));
    assertThat(r.status()).isEqualTo(failure.status());
    assertThat(r.json().get("code").asInt()).isEqualTo(failure.status().code());
    assertThat(r.json().get("reason").asText()).isEqualTo(failure.reason());
    assertThat(r.json().get("message").asText()).isEqualTo("what happened");
    assertThat(r.headers().get("Retry-After"))
        .isEqualTo(failure.retryAfterSeconds() > 0 ? String.valueOf(failure.retryAfterSeconds()) : null);
  }

  @Test
  void escapesQuotesBackslashesAndControlCharacters() throws Exception {
    String message = "backend \"cp1\" at C:\\path\\ said:\nline 2\r\n\tindented \u0000 \u0001 \u0008 \u000c \u001b \u001f end";
    String reason = "Odd\"Reason\\";
    Seen r = status(HttpResponseStatus.BAD_GATEWAY, reason, message, 0);

    assertThat(r.json().get("message").asText()).isEqualTo(message);
    assertThat(r.json().get("reason").asText()).isEqualTo(reason);
    String text = r.text();
    assertThat(text).contains("backend \\\"cp1\\\" at C:\\\\path\\\\ said:\\nline 2\\r\\n\\tindented \\u0000 \\u0001");
    assertThat(text.substring(0, text.length() - 1).chars().filter(c -> c < 0x20))
        .as("no raw control character before the final newline").isEmpty();
  }

  @Test
  void escapesEveryControlCharacterAsJsonAccepts() throws Exception {
    StringBuilder all = new StringBuilder();
    IntStream.range(0, 0x20).forEach(c -> all.append((char) c));
    Seen r = status(HttpResponseStatus.BAD_GATEWAY, "InternalError", all.toString(), 0);
    assertThat(r.json().get("message").asText()).isEqualTo(all.toString());
  }

  @Test
  void leavesPrintableCharactersAlone() {
    String printable = "/ ' < > & \u007f é \u2028 😀";
    assertThat(StatusResponses.jsonEscape(printable)).isEqualTo(printable);
    assertThat(StatusResponses.jsonEscape("\u0007")).isEqualTo("\\u0007");
  }

  @Test
  void contentLengthCountsEncodedBytes() throws Exception {
    String message = "Zugriff verweigert: ü, €, 😀";
    Seen r = status(HttpResponseStatus.BAD_GATEWAY, "InternalError", message, 0);

    assertThat(r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(r.body().length);
    assertThat(r.body().length).isGreaterThan(r.text().length()); // multi-byte characters
    assertThat(r.json().get("message").asText()).isEqualTo(message);
  }

  @Test
  void contentLengthMatchesAPlainBody() {
    Seen r = status(HttpResponseStatus.GATEWAY_TIMEOUT, "Timeout", "backend timed out", 0);
    assertThat(r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(r.body().length);
  }

  @Test
  void retryAfterOnlyWhenAsked() {
    Seen asked = status(HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "no ready backend", 7);
    assertThat(asked.headers().getAll(HttpHeaderNames.RETRY_AFTER)).containsExactly("7");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void noRetryAfterUnlessPositive(int retryAfter) {
    Seen r = status(HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "no ready backend", retryAfter);
    assertThat(r.headers().contains(HttpHeaderNames.RETRY_AFTER)).isFalse();
  }
}
