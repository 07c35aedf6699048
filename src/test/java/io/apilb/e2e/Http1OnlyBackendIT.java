package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp2;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code backend-tls.http2 = auto} (the default) in front of a backend that speaks HTTP/1.1 only:
 * the connection on which the backend declines h2 carries the request instead of being thrown
 * away, so the fallback costs no extra TLS handshake.
 */
class Http1OnlyBackendIT {
  private HostileFixture f;

  @BeforeEach
  void start() throws Exception {
    f = HostileFixture.start(1, "");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private static List<Map.Entry<String, String>> get(int n) {
    return List.of(Map.entry(":method", "GET"), Map.entry(":scheme", "https"), Map.entry(":authority", "x"),
        Map.entry(":path", "/api/v1/namespaces/default/configmaps?n=" + n),
        Map.entry("authorization", "Bearer a-token-the-backend-authenticates"));
  }

  @Test
  void sequentialRequestsOverOneClientConnectionCostOneBackendHandshake() throws Exception {
    assertThat(f.proxiedHandshakes()).isZero();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      for (int i = 0; i < 5; i++) {
        int stream = 2 * i + 1;
        c.headers(stream, get(i), true);
        assertThat(c.awaitStreams(List.of(stream), Duration.ofSeconds(5))).isTrue();
        assertThat(c.streams.get(stream).status()).isEqualTo("200");
      }
    }
    assertThat(f.requestsWith("n", "4")).hasSize(1);
    assertThat(f.proxiedHandshakes()).as("backend TLS handshakes for 5 sequential requests").isEqualTo(1);
  }
}
