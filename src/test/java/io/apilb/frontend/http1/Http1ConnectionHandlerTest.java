package io.apilb.frontend.http1;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.FakeBackendAttempt.content;
import static io.apilb.testing.FakeBackendAttempt.lastContent;
import static io.apilb.testing.Http1Client.get;
import static io.apilb.testing.Http1Client.postHead;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.support.DrainEvent;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/1.1 client connection on the real pipeline: one exchange per request, keep-alive and
 * its end (the client's Connection: close, drain, an unread request body), and the answers to
 * requests that cannot be parsed.
 */
class Http1ConnectionHandlerTest {
  private ProxyFixture f = ProxyFixture.create();
  private Http1Client client = Http1Client.connect(f.context);

  private void restart(String proxySettings) {
    client.close();
    f = ProxyFixture.create(proxySettings);
    client = Http1Client.connect(f.context);
  }

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  private void drain() {
    client.channel.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
    client.channel.runPendingTasks();
  }

  @Test
  void keepAliveServesTwoRequestsInSequenceWithTwoExchanges() {
    client.send(get("/api/v1/namespaces"));
    FakeBackendAttempt first = f.connector.last();
    first.respond(head(200, "Content-Length: 5"), "first");

    client.send(get("/api/v1/pods"));
    assertThat(f.connector.attempts()).hasSize(2);
    FakeBackendAttempt second = f.connector.last();
    assertThat(second.head().uri()).isEqualTo("/api/v1/pods");
    second.respond(head(200, "Content-Length: 6"), "second");

    assertThat(client.responses()).extracting(Http1Client.Response::body).containsExactly("first", "second");
    assertThat(client.responses()).allMatch(r -> r.header("Connection") == null);
    assertThat(first.ends()).containsExactly(End.RELEASE);
    assertThat(second.ends()).containsExactly(End.RELEASE);
    assertThat(f.accessLog.entries()).hasSize(2);
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void aPipelinedRequestWaitsUntilTheExchangeBeforeItEnded() {
    client.send(get("/api/v1/namespaces") + get("/api/v1/pods"));
    assertThat(f.connector.attempts()).hasSize(1);
    FakeBackendAttempt first = f.connector.last();
    assertThat(first.head().uri()).isEqualTo("/api/v1/namespaces");

    first.respond(head(200, "Content-Length: 5"), "first");

    assertThat(f.connector.attempts()).hasSize(2);
    FakeBackendAttempt second = f.connector.last();
    assertThat(second.head().uri()).isEqualTo("/api/v1/pods");
    second.respond(head(200, "Content-Length: 6"), "second");
    assertThat(client.responses()).extracting(Http1Client.Response::body).containsExactly("first", "second");
  }

  @Test
  void aClientsConnectionCloseClosesTheConnectionAfterTheResponse() {
    client.send(get("/api/v1/pods", "Connection: close"));
    FakeBackendAttempt a = f.connector.last();
    assertThat(client.isOpen()).isTrue();

    a.respond(head(200, "Content-Length: 2"), "{}");

    Http1Client.Response r = client.response(0);
    assertThat(r.complete()).isTrue();
    assertThat(r.body()).isEqualTo("{}");
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(client.isOpen()).isFalse();
    assertThat(a.ends()).containsExactly(End.RELEASE); // the backend connection is still clean
  }

  @Test
  void drainClosesAnIdleConnectionAtOnce() {
    client.send(get("/api/v1/pods"));
    f.connector.last().respond(head(200, "Content-Length: 2"), "{}");
    assertThat(client.isOpen()).isTrue();

    drain();

    assertThat(client.isOpen()).isFalse();
    assertThat(client.responses()).hasSize(1);
  }

  @Test
  void drainMakesAnInFlightResponseCarryConnectionCloseAndClosesAfterIt() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();

    drain();
    assertThat(client.isOpen()).isTrue(); // the exchange in progress finishes

    a.respond(head(200, "Content-Length: 2"), "{}");
    Http1Client.Response r = client.response(0);
    assertThat(r.body()).isEqualTo("{}");
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void drainDuringAStartedResponseClosesAfterIt() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.deliver(content("{\"items\":"));
    a.readComplete();

    drain();
    assertThat(client.isOpen()).isTrue();
    a.deliver(lastContent("[]}"));

    assertThat(client.response(0).complete()).isTrue();
    assertThat(client.response(0).body()).isEqualTo("{\"items\":[]}");
    assertThat(client.isOpen()).isFalse();
    assertThat(a.ends()).containsExactly(End.RELEASE);
  }

  @Test
  void aResponseEndingBeforeTheRequestBodyWasReadClosesBothConnections() {
    client.send(postHead("/api/v1/namespaces/default/configmaps", 10) + "12345");
    FakeBackendAttempt a = f.connector.last();
    assertThat(a.body()).isEqualTo("12345");

    a.respond(head(413, "Content-Length: 8"), "too big!");

    assertThat(client.response(0).status()).isEqualTo(413);
    assertThat(client.response(0).body()).isEqualTo("too big!");
    assertThat(a.ends()).containsExactly(End.CLOSE); // the backend still expects 5 bytes
    assertThat(client.isOpen()).isFalse(); // where the client's next request starts is unknown
  }

  @Test
  void expectContinueIsAnsweredByApilbAndNotForwarded() {
    client.send(postHead("/api/v1/namespaces/default/configmaps", 2, "Expect: 100-continue"));
    FakeBackendAttempt a = f.connector.last();
    assertThat(client.received()).startsWith("HTTP/1.1 100 Continue\r\n");
    assertThat(a.head().headers().contains("Expect")).isFalse();

    client.send("{}");
    assertThat(a.body()).isEqualTo("{}");
  }

  @Test
  void aMalformedRequestGets400StatusJsonAndTheConnectionCloses() {
    client.send("GET /api/v1/pods HTTP/x.y\r\nHost: apilb\r\n\r\n");

    assertThat(f.connector.requests()).isEmpty();
    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(r.body()).contains("\"kind\":\"Status\"", "\"reason\":\"BadRequest\"", "\"code\":400",
        "malformed HTTP request");
    assertThat(client.isOpen()).isFalse();
    assertThat(f.failures("bad_request")).isEqualTo(1);
    assertThat(f.accessLog.entries()).singleElement().matches(e -> e.status() == 400);
  }

  @Test
  void aRequestLineOverTheLimitGets400() {
    restart("max-initial-line-length = 64");
    client.send(get("/api/v1/namespaces/default/configmaps/" + "x".repeat(100)));

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("\"reason\":\"BadRequest\"");
    assertThat(client.isOpen()).isFalse();
    assertThat(f.connector.requests()).isEmpty();
  }

  @Test
  void headersOverTheLimitGet431AndTheConnectionCloses() {
    restart("max-header-size = 1024");
    client.send(get("/api/v1/pods", "X-Big: " + "a".repeat(2000)));

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(431);
    assertThat(r.body()).contains("\"code\":431", "request headers too large");
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(client.isOpen()).isFalse();
    assertThat(f.connector.requests()).isEmpty();
    assertThat(f.failures("headers_too_large")).isEqualTo(1);
  }

  @Test
  void anHttp10ClientNeverGetsAChunkedResponse() {
    client.send("GET /api/v1/pods HTTP/1.0\r\n\r\n");
    FakeBackendAttempt a = f.connector.last();

    a.respond(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"), "{\"items\":", "[]}");

    String wire = client.received();
    assertThat(wire).doesNotContainIgnoringCase("transfer-encoding");
    assertThat(wire).endsWith("\r\n\r\n{\"items\":[]}");
    assertThat(client.isOpen()).isFalse(); // the close ends the body
  }
}
