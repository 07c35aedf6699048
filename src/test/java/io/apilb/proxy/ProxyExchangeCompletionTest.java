package io.apilb.proxy;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.FakeBackendAttempt.content;
import static io.apilb.testing.Http1Client.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.FakeBackendConnector.Pending;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every way an exchange ends records it exactly once (one access log line, the request metric
 * at most once, the failure counter once) and ends its backend attempt once: a normal end, the
 * client leaving, the request timeout, and the backend breaking mid-response.
 */
class ProxyExchangeCompletionTest {
  private final ProxyFixture f = ProxyFixture.create("request-timeout = 1s");
  private final Http1Client client = Http1Client.connect(f.context);

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  /** Lets {@code seconds} pass on the client's event loop, running what fell due. */
  private void elapse(int seconds) {
    client.channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
    client.channel.runScheduledPendingTasks();
    client.channel.runPendingTasks();
  }

  /** Whatever happens next (the client leaving, time passing), the exchange stays recorded once. */
  private void assertRecordedOnce(int status, long requestMetrics) {
    elapse(5);
    client.channel.close();
    client.channel.runPendingTasks();
    assertThat(f.accessLog.entries()).hasSize(1);
    assertThat(f.accessLog.entries().get(0).status()).isEqualTo(status);
    assertThat(f.allRequests()).isEqualTo(requestMetrics);
  }

  @Test
  void aNormalEndIsRecordedOnceAndItsDeadlineNeverFires() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.respond(head(200, "Content-Length: 2"), "{}");

    assertThat(client.responses()).singleElement().matches(r -> r.status() == 200);
    elapse(2);
    assertThat(client.responses()).hasSize(1); // no 504 after the end
    assertThat(f.failures("backend_timeout")).isZero();
    assertThat(a.ends()).containsExactly(End.RELEASE);
    assertRecordedOnce(200, 1);
    assertThat(f.requests("cp1", "short", 200)).isEqualTo(1);
  }

  @Test
  void aClientLeavingBeforeTheResponseIsRecordedAs499AndLeavesTheBackendToFinishOnAKeptConnection() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();

    client.channel.close();
    client.channel.runPendingTasks();

    assertThat(a.ends()).as("a whole short request: its answer is dropped, the connection kept")
        .containsExactly(End.ABANDON);
    assertThat(a.deliver(head(200, "Content-Length: 0"))).isFalse();
    assertThat(f.failures("client_closed")).isEqualTo(1);
    assertThat(f.accessLog.entries().get(0).backend()).isEqualTo("cp1");
    assertRecordedOnce(499, 0);
  }

  @Test
  void aClientLeavingWhileTheConnectionIsAcquiredReleasesTheLateConnectionUnused() {
    Pending p = f.connector.holdNext();
    client.send(get("/api/v1/pods"));
    assertThat(p.asked()).isTrue();

    client.channel.close();
    client.channel.runPendingTasks();
    assertThat(p.cancelled()).as("the acquisition is given up").isTrue();
    FakeBackendAttempt late = p.complete();

    assertThat(late.started()).isFalse();
    assertThat(late.heads()).isEmpty();
    assertThat(late.ends()).containsExactly(End.RELEASE); // clean: back to the pool
    assertRecordedOnce(499, 0);
  }

  @Test
  void aClientLeavingMidResponseIsRecordedWithTheRelayedStatus() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.deliver(content("{\"items\":["));
    a.readComplete();

    client.channel.close();
    client.channel.runPendingTasks();

    assertThat(a.ends()).as("a whole short request: its answer is dropped, the connection kept")
        .containsExactly(End.ABANDON);
    assertThat(f.failures("client_closed")).isEqualTo(1);
    assertRecordedOnce(200, 1);
    assertThat(f.requests("cp1", "short", 200)).isEqualTo(1);
  }

  @Test
  void aTimeoutWhileWaitingForTheResponseIsAnswered504AndTheLateResponseDropped() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();

    elapse(1);

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.header("Retry-After")).isNull();
    assertThat(r.body()).contains("\"reason\":\"Timeout\"", "request to backend cp1 timed out after 1s");
    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(a.deliver(head(200, "Content-Length: 0"))).isFalse();
    assertThat(client.responses()).hasSize(1);
    assertThat(client.isOpen()).isTrue(); // the request was read whole
    assertThat(f.failures("backend_timeout")).isEqualTo(1);
    assertRecordedOnce(504, 0);
  }

  @Test
  void aTimeoutWhileTheConnectionIsAcquiredIsAnswered504AndReleasesTheLateConnection() {
    Pending p = f.connector.holdNext();
    client.send(get("/api/v1/pods"));

    elapse(1);
    FakeBackendAttempt late = p.complete();

    assertThat(client.response(0).status()).isEqualTo(504);
    assertThat(client.response(0).body()).contains("request to backend cp1 timed out after 1s");
    assertThat(late.started()).isFalse();
    assertThat(late.ends()).containsExactly(End.RELEASE);
    assertRecordedOnce(504, 0);
  }

  @Test
  void aTimeoutAfterTheResponseBeganBreaksTheClientConnection() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.deliver(content("{\"items\":["));
    a.readComplete();

    elapse(1);

    assertThat(client.isOpen()).isFalse(); // a status line was sent: only a broken stream is honest
    assertThat(client.responses()).singleElement().matches(r -> r.status() == 200 && !r.complete());
    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(f.failures("backend_timeout")).isEqualTo(1);
    assertRecordedOnce(200, 1);
    assertThat(f.accessLog.entries().get(0).failure()).as("the access log says the 200 was cut")
        .isEqualTo("backend_timeout");
  }

  @Test
  void aBackendBreakingMidResponseBreaksTheClientConnectionAndIsRecordedOnce() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json", "Content-Length: 100"));
    a.deliver(content("{\"items\":["));
    a.readComplete();

    a.inactive();

    assertThat(client.isOpen()).isFalse();
    assertThat(client.responses()).singleElement().matches(r -> r.status() == 200 && !r.complete());
    assertThat(f.connector.requests()).hasSize(1); // never retried once a response began
    assertThat(f.failures("backend_reset_mid_response")).isEqualTo(1);
    assertThat(f.failures("client_closed")).isZero();
    assertRecordedOnce(200, 1);
  }

  @Test
  void longRunningRequestsHaveNoDeadline() {
    client.send(get("/api/v1/pods?watch=1"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.readComplete();

    elapse(5);

    assertThat(a.live()).isTrue();
    assertThat(client.isOpen()).isTrue();
    assertThat(f.accessLog.entries()).isEmpty();
  }

  @Test
  void aClientLeavingAWatchClosesItsBackendConnection() {
    client.send(get("/api/v1/pods?watch=1"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(io.apilb.testing.BackendResponses.head(200, "Content-Type: application/json"));

    client.close();

    assertThat(a.ends()).as("a watch never ends by itself: its connection closes").containsExactly(End.CLOSE);
  }

  private int load(String backend, boolean longRunning) {
    var stats = f.backends.snapshot().byName(backend).orElseThrow().stats();
    return longRunning ? stats.longRunningLoad() : stats.shortLoad();
  }

  @Test
  void aRequestWaitingForItsConnectionCountsAsItsBackendsLoadUntilAttached() {
    Pending p = f.connector.holdNext();
    client.send(get("/api/v1/pods?watch=true"));
    String chosen = p.backend();
    assertThat(load(chosen, true)).as("a watch waiting for its stream weighs on its backend").isEqualTo(1);

    FakeBackendAttempt a = p.complete();

    assertThat(a.started()).isTrue();
    // from here the attempt counts it as active (the real ones do; this fake does not): no longer as acquiring
    assertThat(load(chosen, true)).isEqualTo(f.backends.snapshot().byName(chosen).orElseThrow().stats().activeLongRunning());
  }

  @Test
  void aRequestGivingUpWhileWaitingForItsConnectionNoLongerCounts() {
    Pending p = f.connector.holdNext();
    client.send(get("/api/v1/pods"));
    assertThat(load(p.backend(), false)).isEqualTo(1);

    client.channel.close();
    client.channel.runPendingTasks();

    assertThat(load(p.backend(), false)).isZero();
    p.complete(); // released unused: never counted again
    assertThat(load(p.backend(), false)).isZero();
  }
}
