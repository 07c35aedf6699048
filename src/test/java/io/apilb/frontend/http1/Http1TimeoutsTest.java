package io.apilb.frontend.http1;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.FakeBackendAttempt.content;
import static io.apilb.testing.Http1Client.get;
import static io.apilb.testing.Http1Client.postHead;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.config.ListenerTimeouts;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * apilb.listener.timeouts on an HTTP/1.1 connection, on the production pipeline over an embedded
 * channel whose clock the test moves: header 10 s, idle 90 s, body idle 30 s (the defaults).
 */
class Http1TimeoutsTest {
  private final ProxyFixture f = ProxyFixture.create();
  private final Http1Client client = Http1Client.connect(f.context, ListenerTimeouts.DEFAULTS);

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  private void advance(long seconds) {
    client.channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
    client.channel.runScheduledPendingTasks();
    client.channel.runPendingTasks();
  }

  private long timeouts(String kind) {
    return f.counter("apilb.listener.timeouts." + kind);
  }

  @Test
  void aPartialRequestHeadIsClosedAfterTheHeaderTimeout() {
    client.send("GET /api/v1/pods HTTP/1.1\r\nHost: x\r\n");
    advance(9);
    assertThat(client.isOpen()).isTrue();

    advance(2);

    assertThat(client.isOpen()).isFalse();
    assertThat(f.connector.attempts()).isEmpty();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void aHeadDribbledByteByByteStillHasToBeCompleteWithinTheHeaderTimeoutFromTheStart() {
    for (char c : "GET /api/v1/pods HTTP/1.1\r\nHost: x\r\n".toCharArray()) {
      client.send(String.valueOf(c));
      advance(1);
      if (!client.isOpen()) {
        break;
      }
    }
    assertThat(client.isOpen()).isFalse();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void aConnectionThatNeverSendsIsClosedAfterTheHeaderTimeout() {
    advance(11);

    assertThat(client.isOpen()).isFalse();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void aKeepAliveConnectionAfterItsResponseIsClosedAfterTheIdleTimeoutNotTheHeaderTimeout() {
    client.send(get("/api/v1/pods"));
    f.connector.last().respond(head(200, "Content-Length: 2"), "{}");
    assertThat(client.responses()).hasSize(1);

    advance(89);
    assertThat(client.isOpen()).isTrue();
    advance(2);

    assertThat(client.isOpen()).isFalse();
    assertThat(timeouts("idle")).isEqualTo(1);
    assertThat(timeouts("request_header")).isZero();
  }

  @Test
  void theNextRequestsHeadHasTheHeaderTimeoutFromItsFirstByte() {
    client.send(get("/api/v1/pods"));
    f.connector.last().respond(head(200, "Content-Length: 2"), "{}");
    advance(60);

    client.send("GET /api/v1/nodes HTTP/1.1\r\n");
    advance(9);
    assertThat(client.isOpen()).isTrue();
    advance(2);

    assertThat(client.isOpen()).isFalse();
    assertThat(timeouts("request_header")).isEqualTo(1);
  }

  @Test
  void requestsInProgressAreNeverCutByTheIdleOrHeaderTimeout() {
    client.send(get("/api/v1/pods?watch=true"));
    FakeBackendAttempt watch = f.connector.last();
    watch.deliver(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"));
    watch.deliver(content("{\"type\":\"ADDED\"}\n"));
    watch.readComplete();

    for (int i = 0; i < 10; i++) {
      advance(60);
    }

    assertThat(client.isOpen()).isTrue();
    assertThat(watch.live()).isTrue();
    assertThat(timeouts("idle") + timeouts("request_header") + timeouts("request_body_idle")).isZero();
  }

  @Test
  void aShortRequestWhoseBodyStopsGets408AndTheConnectionCloses() {
    client.send(postHead("/api/v1/namespaces/default/configmaps", 100) + "{\"kind\":");
    FakeBackendAttempt a = f.connector.last();
    advance(29);
    assertThat(client.isOpen()).isTrue();

    advance(2);

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(408);
    assertThat(r.body()).contains("\"reason\":\"Timeout\"").contains("no request body byte for 30s");
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(client.isOpen()).isFalse();
    assertThat(a.ends()).containsExactly(End.CLOSE); // the backend never sees a complete body
    assertThat(timeouts("request_body_idle")).isEqualTo(1);
  }

  @Test
  void bodyBytesThatKeepComingKeepTheRequestAlive() {
    client.send(postHead("/api/v1/namespaces/default/configmaps", 40));
    for (int i = 0; i < 4; i++) { // 48 s in all, each gap under the 30 s (and under request-timeout's 60 s)
      advance(12);
      client.send("0123456789");
    }
    FakeBackendAttempt a = f.connector.last();
    a.respond(head(201, "Content-Length: 2"), "{}");

    assertThat(client.response(0).status()).isEqualTo(201);
    assertThat(a.body()).hasSize(40);
    assertThat(timeouts("request_body_idle")).isZero();
  }

  @Test
  void aStalledBodyAfterTheResponseStartedClosesTheConnectionWithoutA408() {
    client.send(postHead("/api/v1/namespaces/default/configmaps", 100) + "{");
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"));
    a.deliver(content("{"));
    a.readComplete();

    advance(31);

    assertThat(client.isOpen()).isFalse();
    assertThat(client.received()).doesNotContain("408");
    assertThat(client.response(0).complete()).isFalse();
  }

  @Test
  void timeWhileApilbHoldsTheClientBackDoesNotCount() {
    f.connector.whenCreated(a -> a.writable(false));
    client.send(postHead("/api/v1/namespaces/default/configmaps", 100) + "{");
    FakeBackendAttempt a = f.connector.last();
    advance(25); // the backend cannot take more: apilb does not read the client

    assertThat(client.isOpen()).isTrue();
    a.setWritable(true); // reads again: from now on the client's silence counts
    advance(29);
    assertThat(client.isOpen()).isTrue();
    advance(2);
    assertThat(client.response(0).status()).isEqualTo(408);
  }

  @Test
  void zeroTurnsEachTimeoutOff() {
    client.close();
    Http1Client off = Http1Client.connect(f.context, new ListenerTimeouts(Duration.ZERO, Duration.ZERO, Duration.ZERO));
    off.send("GET / HTTP/1.1\r\n");
    off.channel.advanceTimeBy(1, TimeUnit.DAYS);
    off.channel.runScheduledPendingTasks();
    assertThat(off.isOpen()).isTrue();
    off.close();
  }
}
