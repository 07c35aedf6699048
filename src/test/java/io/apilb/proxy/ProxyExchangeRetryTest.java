package io.apilb.proxy;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.Http1Client.get;
import static io.apilb.testing.Http1Client.postHead;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.HealthFlag;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.FakeBackendConnector.Request;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * When a request goes to a second backend, and what the client gets when it cannot: the request
 * as the backends received it, the client's response, and the retry metric by reason.
 */
class ProxyExchangeRetryTest {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

  private ProxyFixture f;
  private Http1Client client;

  private void start(String proxySettings) {
    f = ProxyFixture.create(proxySettings);
    client = Http1Client.connect(f.context);
  }

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  @ParameterizedTest
  @CsvSource({"false, connect", "true, tls"})
  void aConnectOrTlsFailureSendsTheWholeRequestToTheNextBackend(boolean tls, String reason) {
    start("");
    f.connector.failNext("connect to cp1 (10.0.0.1:6443) failed: Connection refused", tls);

    client.send(postHead(CONFIGMAPS, 5) + "hello");

    assertThat(f.connector.requests()).extracting(Request::backend).containsExactly("cp1", "cp2");
    FakeBackendAttempt a = f.connector.attempt(0);
    assertThat(a.name()).isEqualTo("cp2");
    assertThat(a.head().uri()).isEqualTo(CONFIGMAPS);
    assertThat(a.body()).isEqualTo("hello");
    assertThat(a.lastContents()).isEqualTo(1);
    assertThat(f.retries("cp1", reason)).isEqualTo(1);
    assertThat(f.counter("apilb.backend.connect_failures.cp1")).isEqualTo(1);
    assertThat(f.passiveHealth.events())
        .contains("failure cp1: connect to cp1 (10.0.0.1:6443) failed: Connection refused");

    a.respond(head(201, "Content-Length: 2"), "ok");
    assertThat(client.responses()).singleElement().matches(r -> r.status() == 201 && r.body().equals("ok"));
    AccessLogEntry e = f.accessLog.entries().get(0);
    assertThat(e.backend()).isEqualTo("cp2");
    assertThat(e.retries()).isEqualTo(1);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "503 | Retry-After: 5     | shutdown_503",
      "429 | Connection: close  | shutdown_429"})
  void aShuttingDownBackendsRejectionReplaysTheWholeRequestElsewhere(int status, String header, String reason) {
    start("");
    client.send(postHead(CONFIGMAPS, 5) + "hello");
    FakeBackendAttempt first = f.connector.last();
    assertThat(first.body()).isEqualTo("hello");

    first.respond(head(status, header, "Content-Type: application/json", "Content-Length: 9"), "{\"x\":\"y\"}");

    assertThat(first.ends()).containsExactly(End.CLOSE);
    assertThat(f.connector.attempts()).hasSize(2);
    FakeBackendAttempt second = f.connector.last();
    assertThat(second.name()).isEqualTo("cp2");
    assertThat(second.head().method().name()).isEqualTo("POST");
    assertThat(second.head().headers().get("Content-Length")).isEqualTo("5");
    assertThat(second.body()).isEqualTo("hello");
    assertThat(second.lastContents()).isEqualTo(1);
    assertThat(f.retries("cp1", reason)).isEqualTo(1);
    assertThat(f.passiveHealth.events()).contains("shutting-down cp1: answered " + status + " (" + reason + ")");
    assertThat(client.received()).isEmpty(); // the rejection never reaches the client

    second.respond(head(201, "Content-Length: 2"), "ok");
    assertThat(client.responses()).singleElement().matches(r -> r.status() == 201 && r.body().equals("ok"));
    assertThat(f.accessLog.entries()).singleElement().matches(e -> e.retries() == 1 && e.backend().equals("cp2"));
  }

  @Test
  void aRejectionIsRelayedWhenTheBodyOutgrewTheRetryBuffer() {
    start("retry-buffer-bytes = 4");
    client.send(postHead(CONFIGMAPS, 11) + "hello world");
    FakeBackendAttempt first = f.connector.last();
    assertThat(first.body()).isEqualTo("hello world");

    first.respond(head(503, "Retry-After: 5", "Content-Length: 4"), "busy");

    assertThat(f.connector.requests()).hasSize(1);
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(r.header("Retry-After")).isEqualTo("5"); // the backend's own, so the client retries
    assertThat(f.retries("cp1", "shutdown_503")).isZero();
    assertThat(first.ends()).containsExactly(End.RELEASE);
  }

  @Test
  void a429WithoutConnectionCloseIsTheBackendsOwnThrottlingAndIsRelayed() {
    start("");
    client.send(postHead(CONFIGMAPS, 5) + "hello");
    FakeBackendAttempt first = f.connector.last();

    first.respond(head(429, "Retry-After: 1", "Content-Length: 4"), "slow");

    assertThat(f.connector.requests()).hasSize(1);
    assertThat(client.response(0).status()).isEqualTo(429);
    assertThat(client.response(0).body()).isEqualTo("slow");
    assertThat(f.retries("cp1", "shutdown_429")).isZero();
    assertThat(first.ends()).containsExactly(End.RELEASE);
  }

  @Test
  void aReadWhoseBackendClosedBeforeAnyResponseByteIsRetriedOnceElsewhere() {
    start("");
    client.send(get("/api/v1/namespaces"));
    FakeBackendAttempt first = f.connector.last();

    first.inactive();

    assertThat(f.connector.attempts()).hasSize(2);
    FakeBackendAttempt second = f.connector.last();
    assertThat(second.name()).isEqualTo("cp2");
    assertThat(second.head().uri()).isEqualTo("/api/v1/namespaces");
    assertThat(second.lastContents()).isEqualTo(1);
    assertThat(second.body()).isEmpty();
    assertThat(f.retries("cp1", "backend_reset")).isEqualTo(1);
    assertThat(client.received()).isEmpty();

    second.respond(head(200, "Content-Length: 2"), "{}");
    assertThat(client.responses()).singleElement().matches(r -> r.status() == 200);
  }

  @Test
  void aReadIsRetriedOnlyOnceThenAnswered502WithoutRetryAfter() {
    start("");
    client.send(get("/api/v1/namespaces"));
    f.connector.last().inactive();
    f.connector.last().inactive();

    assertThat(f.connector.requests()).hasSize(2); // cp3 was left, but a reset is retried once
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.header("Retry-After")).isNull();
    assertThat(r.body()).contains("\"kind\":\"Status\"", "\"reason\":\"InternalError\"", "\"code\":502",
        "backend cp2 closed the connection before responding");
    assertThat(f.failures("backend_reset")).isEqualTo(1);
    assertThat(f.passiveHealth.events()).contains("failure cp2: connection closed before a response");
  }

  @Test
  void aPostWhoseBackendClosedBeforeRespondingIsAnswered502WithoutRetryAfter() {
    start("");
    client.send(postHead(CONFIGMAPS, 5) + "hello");
    FakeBackendAttempt first = f.connector.last();

    first.inactive();

    assertThat(f.connector.requests()).hasSize(1); // it may have been executed: never again
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.header("Retry-After")).isNull(); // client-go would replay a POST that got one
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(r.body()).contains("\"reason\":\"InternalError\"",
        "backend cp1 closed the connection before responding");
    assertThat(f.retries("cp1", "backend_reset")).isZero();
    assertThat(client.isOpen()).isTrue(); // the request was read whole: the connection stays usable
  }

  @Test
  void noReadyBackendIsAnswered503WithRetryAfterNamingEachBackendsState() {
    start("");
    f.flag("cp1", HealthFlag.FAILED_PROBE, "probe: connect refused");
    f.flag("cp2", HealthFlag.DRAINING, "probe: [-]shutdown");
    f.flag("cp3", HealthFlag.DISABLED_BY_OPERATOR, "drained by operator");

    client.send(get("/api/v1/pods"));

    assertThat(f.connector.requests()).isEmpty();
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("1");
    assertThat(r.body()).contains("\"reason\":\"ServiceUnavailable\"", "no ready kube-apiserver backend",
        "cp1 is failed_probe (probe: connect refused)", "cp2 is draining (probe: [-]shutdown)",
        "cp3 is disabled_by_operator (drained by operator)");
    assertThat(f.failures("no_ready_backend")).isEqualTo(1);
    assertThat(f.accessLog.entries()).singleElement().matches(e -> e.status() == 503 && e.backend().isEmpty());
  }

  @Test
  void everyBackendFailingToConnectIsAnswered503WithRetryAfterAndTheLastError() {
    start("");
    f.connector.failNext("connect to cp1 (10.0.0.1:6443) failed: Connection refused", false)
        .failNext("TLS handshake with cp2 (10.0.0.2:6443) failed: bad certificate", true)
        .failNext("connect to cp3 (10.0.0.3:6443) failed: No route to host", false);

    client.send(postHead(CONFIGMAPS, 5) + "hello");

    assertThat(f.connector.requests()).extracting(Request::backend).containsExactly("cp1", "cp2", "cp3");
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("1"); // nothing was sent anywhere: safe for a POST
    assertThat(r.body()).contains("no backend could be reached (last error: connect to cp3 (10.0.0.3:6443) "
        + "failed: No route to host)");
    assertThat(f.retries("cp1", "connect")).isEqualTo(1);
    assertThat(f.retries("cp2", "tls")).isEqualTo(1);
    assertThat(f.retries("cp3", "connect")).isEqualTo(1);
  }

  @Test
  void everyBackendRejectingWhileShuttingDownIsAnswered503WithRetryAfter() {
    start("");
    client.send(get("/api/v1/pods"));
    for (int i = 0; i < 3; i++) {
      f.connector.last().respond(head(503, "Retry-After: 1", "Content-Length: 0"));
    }

    assertThat(f.connector.requests()).extracting(Request::backend).containsExactly("cp1", "cp2", "cp3");
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("1");
    assertThat(f.accessLog.entries()).singleElement().matches(e -> e.status() == 503 && e.retries() == 2);
  }

  @Test
  void everyBackendRejectingWhileShuttingDownNamesTheRejectionInsteadOfNull() {
    start("");
    client.send(get("/api/v1/pods"));
    for (int i = 0; i < 3; i++) {
      f.connector.last().respond(head(503, "Retry-After: 1", "Content-Length: 0"));
    }

    assertThat(client.response(0).body()).doesNotContain("null");
  }

  @Test
  void aGetAnswered503KeepsTheConnection() {
    start("");
    f.flag("cp1", HealthFlag.FAILED_PROBE, "probe: connect refused");
    f.flag("cp2", HealthFlag.FAILED_PROBE, "probe: connect refused");
    f.flag("cp3", HealthFlag.FAILED_PROBE, "probe: connect refused");

    client.send(get("/api/v1/pods"));

    assertThat(client.response(0).status()).isEqualTo(503);
    assertThat(client.response(0).header("Connection")).isNull();
    assertThat(client.isOpen()).isTrue();
  }
}
