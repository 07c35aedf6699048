package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp1;
import io.apilb.testing.RawHttp1.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** Issue 11 case 5, limits (fix 5): over max-connections-per-source a new connection is closed at once. */
@Disabled("pending issue 11 fix 5 (apilb.listener.limits max-connections, max-connections-per-source): the keys do"
    + " not exist yet and 1,500 slowloris connections all stay connected")
class ConnectionLimitsIT {
  static HostileFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = HostileFixture.start(1, "apilb.listener.limits { max-connections = 100, max-connections-per-source = 10 }");
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void connectionsOverThePerSourceLimitAreClosedAtOnceAndEstablishedOnesKeepBeingServed() throws Exception {
    List<SSLSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        held.add(f.openTls("http/1.1"));
      }
      int refused = 0;
      for (int i = 0; i < 5; i++) {
        try (SSLSocket extra = f.openTls("http/1.1")) {
          Result r = RawHttp1.exchange(extra, "GET /api HTTP/1.1\r\nHost: x\r\n\r\n", 1, Duration.ofSeconds(2));
          if (r.responses().isEmpty() && r.end() != RawHttp1.End.OPEN) {
            refused++;
          }
        } catch (java.io.IOException e) {
          refused++; // closed during the handshake
        }
      }
      assertThat(refused).as("connections over the limit closed at once").isEqualTo(5);
      for (SSLSocket s : held) {
        Result r = RawHttp1.exchange(s, "GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n\r\n", 1,
            Duration.ofSeconds(5));
        assertThat(r.first()).as("%s", r).isNotNull();
        assertThat(r.first().status()).isEqualTo(200);
      }
    } finally {
      for (SSLSocket s : held) {
        s.close();
      }
    }
  }
}
