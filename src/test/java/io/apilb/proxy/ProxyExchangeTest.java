package io.apilb.proxy;

import static io.apilb.testing.BackendResponses.head;
import static io.apilb.testing.FakeBackendAttempt.content;
import static io.apilb.testing.FakeBackendAttempt.lastContent;
import static io.apilb.testing.Http1Client.get;
import static io.apilb.testing.Http1Client.postHead;
import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.support.HandlerNames;
import io.apilb.testing.FakeBackendAttempt;
import io.apilb.testing.FakeBackendAttempt.End;
import io.apilb.testing.Http1Client;
import io.apilb.testing.ProxyFixture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One exchange through the real HTTP/1.1 client pipeline and a fake backend attempt: what the
 * backend received and what the client saw, for the body relay and its backpressure both ways,
 * watches and the tunnel after a 101.
 */
class ProxyExchangeTest {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

  private ProxyFixture f = ProxyFixture.create();
  private Http1Client client = Http1Client.connect(f.context);

  @AfterEach
  void tearDown() {
    client.close();
    f.connector.releaseAll();
  }

  @Test
  void relaysTheRequestHeadAndBodyAndTheResponse() {
    client.send(postHead(CONFIGMAPS, 11, "Content-Type: application/json", "Connection: keep-alive",
        "X-Remote-User: mallory") + "{\"a\":\"b\"}xy");

    FakeBackendAttempt a = f.connector.last();
    assertThat(a.name()).isEqualTo("cp1");
    assertThat(a.started()).isTrue();
    assertThat(a.longRunning()).isFalse();
    HttpRequest sent = a.head();
    assertThat(sent.method()).isEqualTo(HttpMethod.POST);
    assertThat(sent.uri()).isEqualTo(CONFIGMAPS);
    assertThat(sent.headers().get("Content-Length")).isEqualTo("11");
    assertThat(sent.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(sent.headers().get("X-Forwarded-For")).isEqualTo("embedded");
    assertThat(sent.headers().contains("Connection")).isFalse(); // hop-by-hop
    assertThat(sent.headers().contains("X-Remote-User")).isFalse(); // client identity headers never pass
    assertThat(a.body()).isEqualTo("{\"a\":\"b\"}xy");
    assertThat(a.lastContents()).isEqualTo(1);

    a.respond(head(201, "Content-Type: application/json", "Content-Length: 4", "Audit-Id: abc"), "done");

    Http1Client.Response r = client.response(0);
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.body()).isEqualTo("done");
    assertThat(r.complete()).isTrue();
    assertThat(r.header("Audit-Id")).isEqualTo("abc");
    assertThat(r.header("Connection")).isNull();
    assertThat(a.ends()).containsExactly(End.RELEASE);
    assertThat(a.writesAfterEnd()).isZero();
    assertThat(client.isOpen()).isTrue();
    AccessLogEntry e = f.accessLog.entries().get(0);
    assertThat(f.accessLog.entries()).hasSize(1);
    assertThat(e.status()).isEqualTo(201);
    assertThat(e.backend()).isEqualTo("cp1");
    assertThat(e.method()).isEqualTo("POST");
    assertThat(e.bytes()).isEqualTo(4);
    assertThat(e.auditId()).isEqualTo("abc");
    assertThat(e.retries()).isZero();
    assertThat(f.requests("cp1", "short", 201)).isEqualTo(1);
    assertThat(f.passiveHealth.events()).containsExactly("success cp1");
  }

  @Test
  void readsTheClientOnlyWhileTheBackendIsWritable() {
    f.connector.whenCreated(a -> a.writable(false));
    client.send(postHead(CONFIGMAPS, 12) + "aaa");
    FakeBackendAttempt a = f.connector.last();
    assertThat(a.heads()).hasSize(1);
    assertThat(a.body()).isEmpty(); // "aaa" waits: the backend cannot take it

    client.send("bbb");
    assertThat(a.body()).isEmpty();

    a.setWritable(true); // the backend drained: the client is read until it has nothing more
    assertThat(a.body()).isEqualTo("aaabbb");

    a.setWritable(false);
    client.send("ccc"); // the read asked for while writable is honoured ...
    client.send("ddd"); // ... but no further one
    assertThat(a.body()).isEqualTo("aaabbbccc");
    assertThat(a.lastContents()).isZero();

    a.setWritable(true);
    assertThat(a.body()).isEqualTo("aaabbbcccddd");
    assertThat(a.lastContents()).isEqualTo(1);

    a.respond(head(200, "Content-Length: 2"), "ok");
    assertThat(client.response(0).body()).isEqualTo("ok");
    assertThat(a.ends()).containsExactly(End.RELEASE);
  }

  @Test
  void readsTheBackendOnlyWhileTheClientIsWritable() {
    client.channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();
    int reads = a.reads();
    assertThat(reads).isPositive();

    a.deliver(head(200, "Content-Type: text/plain")); // the unflushed head fills the client's buffer
    assertThat(client.channel.isWritable()).isFalse();
    assertThat(a.reads()).isEqualTo(reads);

    a.readComplete(); // flushed: the client is writable again, so the backend is read again
    client.channel.runPendingTasks();
    assertThat(client.channel.isWritable()).isTrue();
    assertThat(a.reads()).isEqualTo(reads + 1);

    a.deliver(content("x".repeat(32)));
    assertThat(a.reads()).isEqualTo(reads + 1);
    a.readComplete();
    client.channel.runPendingTasks();
    assertThat(a.reads()).isEqualTo(reads + 2);

    a.deliver(lastContent("y"));
    assertThat(client.response(0).body()).isEqualTo("x".repeat(32) + "y");
    assertThat(client.response(0).complete()).isTrue();
  }

  @Test
  void aWatchPassesWholeEventsOnlyAndEndsBetweenThemWhenItsHandleAsks() {
    client.send(get("/api/v1/pods?watch=1&resourceVersion=10"));
    FakeBackendAttempt a = f.connector.last();
    assertThat(a.longRunning()).isTrue();
    a.deliver(head(200, "Content-Type: application/json", "Transfer-Encoding: chunked"));
    assertThat(f.watches.count("cp1")).isEqualTo(1);
    a.deliver(content("{\"type\":\"ADDED\"}\n{\"type\":\"MOD"));
    a.readComplete();
    assertThat(client.response(0).body()).as("the unfinished event is held").isEqualTo("{\"type\":\"ADDED\"}\n");
    a.deliver(content("IFIED\"}\n{\"type\":\"DEL"));
    a.readComplete();
    assertThat(client.response(0).body()).isEqualTo("{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n");

    f.watches.any("cp1").orElseThrow().endGracefully();
    client.channel.runPendingTasks();

    Http1Client.Response r = client.response(0);
    assertThat(r.complete()).isTrue(); // a clean end of stream, like the apiserver's own watch timeout
    assertThat(r.body()).as("the held start of an event never reaches the client")
        .isEqualTo("{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n");
    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(f.watches.count("cp1")).isZero();
    assertThat(f.accessLog.entries()).singleElement().extracting(AccessLogEntry::status).isEqualTo(200);
    assertThat(f.requests("cp1", "long_running", 200)).isEqualTo(1);

    // the connection serves the client's re-watch
    assertThat(client.isOpen()).isTrue();
    client.send(get("/api/v1/pods?watch=1&resourceVersion=11"));
    assertThat(f.connector.attempts()).hasSize(2);
    assertThat(f.connector.last().name()).isEqualTo("cp2");
  }

  @Test
  void aProtobufWatchPassesWholeFramesAndEndsCleanlyWhenItsBackendDiesMidFrame() {
    client.send(get("/api/v1/pods?watch=1", "Accept: application/vnd.kubernetes.protobuf"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/vnd.kubernetes.protobuf;stream=watch"));
    assertThat(f.watches.count("cp1")).isEqualTo(1);
    a.deliver(content("\0\0\0\3abc\0\0\0\5de"));
    a.readComplete();
    assertThat(client.response(0).body()).isEqualTo("\0\0\0\3abc");

    a.inactive();

    assertThat(client.response(0).complete()).isTrue();
    assertThat(client.response(0).body()).isEqualTo("\0\0\0\3abc");
    assertThat(client.isOpen()).isTrue();
    assertThat(f.watches.total()).isZero();
  }

  @Test
  void aWatchAtAnEventBoundaryEndsAtOnce() {
    client.send(get("/api/v1/pods?watch=true"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json;stream=watch"));
    a.deliver(content("{\"type\":\"ADDED\"}\n"));
    a.readComplete();

    f.watches.any("cp1").orElseThrow().endGracefully();
    client.channel.runPendingTasks();

    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(client.response(0).complete()).isTrue();
    assertThat(client.response(0).body()).isEqualTo("{\"type\":\"ADDED\"}\n");
    assertThat(f.watches.total()).isZero();
    assertThat(f.accessLog.entries()).hasSize(1);
    assertThat(a.deliver(content("{\"type\":\"DELETED\"}\n"))).isFalse(); // nothing more is relayed
    assertThat(client.responses()).hasSize(1);
  }

  @Test
  void aWatchWhoseBackendDiesBetweenEventsEndsCleanly() {
    client.send(get("/api/v1/namespaces/default/pods?watch=1"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.deliver(content("{\"type\":\"ADDED\"}\n"));
    a.readComplete();

    a.inactive();

    assertThat(client.response(0).complete()).isTrue();
    assertThat(client.isOpen()).isTrue();
    assertThat(f.passiveHealth.events()).contains("failure cp1: connection closed during a watch");
    assertThat(f.watches.total()).isZero();
    assertThat(f.accessLog.entries()).singleElement().extracting(AccessLogEntry::status).isEqualTo(200);
  }

  @Test
  void aWatchWhoseBackendDiesMidEventEndsCleanlyWithoutThePartialEvent() {
    client.send(get("/api/v1/namespaces/default/pods?watch=1"));
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(200, "Content-Type: application/json"));
    a.deliver(content("{\"type\":\"ADDED\"}\n{\"type\":\"ADD"));
    a.readComplete();

    a.inactive();

    assertThat(client.response(0).complete()).isTrue(); // the client re-watches, it does not relist
    assertThat(client.response(0).body()).isEqualTo("{\"type\":\"ADDED\"}\n");
    assertThat(client.isOpen()).isTrue();
    assertThat(f.watches.total()).isZero();
    assertThat(f.failures("backend_reset_mid_response")).isZero();
  }

  @Test
  void a101HandsBothConnectionsOverToATunnel() {
    client.send(get("/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true",
        "Connection: Upgrade", "Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: v4.channel.k8s.io"));
    assertThat(f.connector.requests()).singleElement().matches(r -> r.dedicated());
    FakeBackendAttempt a = f.connector.last();
    assertThat(a.longRunning()).isTrue();
    assertThat(a.head().headers().get("Connection")).isEqualTo("upgrade");
    assertThat(a.head().headers().get("Upgrade")).isEqualTo("SPDY/3.1");

    a.deliver(head(101, "Connection: Upgrade", "Upgrade: SPDY/3.1",
        "X-Stream-Protocol-Version: v4.channel.k8s.io"));

    Http1Client.Response switching = client.response(0);
    assertThat(switching.status()).isEqualTo(101);
    assertThat(switching.header("Upgrade")).isEqualTo("SPDY/3.1");
    assertThat(switching.header("X-Stream-Protocol-Version")).isEqualTo("v4.channel.k8s.io");
    assertThat(client.channel.pipeline().names()).contains(HandlerNames.TUNNEL)
        .doesNotContain(HandlerNames.HTTP1_CODEC, HandlerNames.FLOW_CONTROL, HandlerNames.HTTP1_EXPECT_CONTINUE,
            HandlerNames.HTTP1_CONNECTION);
    assertThat(a.ends()).containsExactly(End.HAND_OVER);
    assertThat(a.wire().pipeline().get(HandlerNames.TUNNEL)).isNotNull();

    String before = client.received();
    client.send("client->backend");
    assertThat(readText(a.wire())).isEqualTo("client->backend");
    a.wire().writeInbound(Unpooled.copiedBuffer("backend->client", StandardCharsets.UTF_8));
    assertThat(client.received()).isEqualTo(before + "backend->client");

    assertThat(f.accessLog.entries()).singleElement().extracting(AccessLogEntry::status).isEqualTo(101);
    assertThat(f.requests("cp1", "upgrade", 101)).isEqualTo(1);

    client.channel.close(); // the client leaves: the backend connection follows
    a.wire().runPendingTasks();
    assertThat(a.wire().isOpen()).isFalse();
    assertThat(f.accessLog.entries()).hasSize(1);
  }

  @Test
  void bytesTheClientSentRightAfterTheUpgradeRequestReachTheBackend() {
    client.send(get("/api/v1/namespaces/default/pods/p/portforward?ports=80",
        "Connection: Upgrade", "Upgrade: SPDY/3.1") + "EARLY");
    FakeBackendAttempt a = f.connector.last();
    a.deliver(head(101, "Connection: Upgrade", "Upgrade: SPDY/3.1"));

    assertThat(readText(a.wire())).isEqualTo("EARLY");
  }

  @Test
  void anUpgradeTheBackendRefusesIsRelayedAndItsDedicatedConnectionClosed() {
    client.send(get("/api/v1/namespaces/default/pods/p/exec?command=sh",
        "Connection: Upgrade", "Upgrade: SPDY/3.1"));
    FakeBackendAttempt a = f.connector.last();

    a.respond(head(403, "Content-Type: application/json", "Content-Length: 9"), "forbidden");

    assertThat(client.response(0).status()).isEqualTo(403);
    assertThat(client.response(0).body()).isEqualTo("forbidden");
    assertThat(a.ends()).containsExactly(End.CLOSE); // never back to a pool
    assertThat(client.channel.pipeline().get(HandlerNames.HTTP1_CODEC)).isNotNull();
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void aBackendResponseSayingConnectionCloseEndsTheAttemptWithCloseNotRelease() {
    client.send(get("/api/v1/pods"));
    FakeBackendAttempt a = f.connector.last();

    a.respond(head(200, "Connection: close", "Content-Length: 2"), "{}");

    assertThat(a.ends()).containsExactly(End.CLOSE);
    assertThat(client.response(0).header("Connection")).isNull(); // hop-by-hop: the client's connection stays
    assertThat(client.isOpen()).isTrue();
  }

  private static String readText(io.netty.channel.embedded.EmbeddedChannel ch) {
    ch.runPendingTasks();
    StringBuilder b = new StringBuilder();
    ByteBuf buf;
    while ((buf = ch.readOutbound()) != null) {
      b.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    return b.toString();
  }
}
