package io.apilb.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.apilb.pki.CertificateIssuer;
import io.apilb.testing.HttpWatcher;
import io.apilb.testing.TestWatcher;
import io.apilb.testing.WebSocketWatcher;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The simulator's protobuf and WebSocket watch framing, decoded with the official Java client's
 * protobuf classes, and {@link SimulatedApiserver#dieMidEvent()} seen at the byte level.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimProtobufWatchIT {
  static final String CLIENT_GO_ACCEPT = "application/vnd.kubernetes.protobuf, application/json";
  CertificateIssuer.Issued ca;
  SimulatedCluster cluster;
  SimulatedApiserver server;
  SSLContext tls;
  final List<TestWatcher> watchers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    ca = CertificateIssuer.selfSignedCa("sim-ca", Duration.ofDays(1));
    cluster = new SimulatedCluster(5);
    server = SimulatedApiserver.builder("sim-pb", cluster).bookmarkInterval(Duration.ofMillis(300))
        .keyMaterial(CertificateIssuer.issue(ca, CertificateIssuer.LeafSpec.server("kube-apiserver",
            List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))).keyMaterial())
        .build().start();
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
  }

  @AfterEach
  void stop() {
    watchers.forEach(TestWatcher::close);
    server.close();
  }

  @Test
  void aProtobufWatchIsLengthDelimitedWatchEventsWrappingTheEnvelope() throws Exception {
    long rv = cluster.resourceVersion();
    try (RawWatch w = new RawWatch(rv, CLIENT_GO_ACCEPT, "&allowWatchBookmarks=true")) {
      assertThat(w.head).contains("200 OK").containsIgnoringCase(
          "Content-Type: application/vnd.kubernetes.protobuf;stream=watch");
      cluster.createConfigMap("default", "pb-1", Map.of("b", "2", "a", "1"));
      Meta.WatchEvent added = w.nextEvent(false);
      assertThat(added.getType()).isEqualTo("ADDED");
      ByteString raw = added.getObject().getRaw();
      assertThat(raw.substring(0, 4).toByteArray()).isEqualTo(new byte[] {'k', '8', 's', 0});
      Runtime.Unknown unknown = Runtime.Unknown.parseFrom(raw.substring(4));
      assertThat(unknown.getTypeMeta().getApiVersion()).isEqualTo("v1");
      assertThat(unknown.getTypeMeta().getKind()).isEqualTo("ConfigMap");
      V1.ConfigMap cm = V1.ConfigMap.parseFrom(unknown.getRaw());
      Meta.ObjectMeta m = cm.getMetadata();
      assertThat(m.getName()).isEqualTo("pb-1");
      assertThat(m.getNamespace()).isEqualTo("default");
      assertThat(m.getUid()).isNotEmpty();
      assertThat(Long.parseLong(m.getResourceVersion())).isGreaterThan(rv);
      assertThat(m.getCreationTimestamp().getSeconds()).isCloseTo(System.currentTimeMillis() / 1000, within(60));
      assertThat(cm.getDataMap()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "2"));
      // every field landed on a known number with the right wire type
      for (com.google.protobuf.Message msg : List.of(added, unknown, cm, m)) {
        assertThat(msg.getUnknownFields().asMap()).as(msg.getDescriptorForType().getName()).isEmpty();
      }
      cluster.deleteConfigMap("default", "pb-1");
      Meta.WatchEvent deleted = w.nextEvent(false);
      assertThat(deleted.getType()).isEqualTo("DELETED");
      Meta.WatchEvent bookmark = w.nextEvent(true);
      assertThat(bookmark.getType()).isEqualTo("BOOKMARK");
      Runtime.Unknown bu = Runtime.Unknown.parseFrom(bookmark.getObject().getRaw().substring(4));
      assertThat(V1.ConfigMap.parseFrom(bu.getRaw()).getMetadata().getResourceVersion())
          .isEqualTo(Long.toString(cluster.resourceVersion()));
    }
  }

  @Test
  void aWatchFromAnEvictedVersionGetsAnErrorEventCarryingAStatus() throws Exception {
    long old = cluster.resourceVersion();
    for (int i = 0; i < 8; i++) {
      cluster.createConfigMap("default", "evict-" + i, Map.of());
    }
    try (RawWatch w = new RawWatch(old, CLIENT_GO_ACCEPT, "")) {
      Meta.WatchEvent ev = Meta.WatchEvent.parseFrom(w.nextFrame());
      assertThat(ev.getType()).isEqualTo("ERROR");
      Runtime.Unknown u = Runtime.Unknown.parseFrom(ev.getObject().getRaw().substring(4));
      assertThat(u.getTypeMeta().getKind()).isEqualTo("Status");
      Meta.Status s = Meta.Status.parseFrom(u.getRaw());
      assertThat(s.getCode()).isEqualTo(410);
      assertThat(s.getReason()).isEqualTo("Expired");
      assertThat(s.getStatus()).isEqualTo("Failure");
      assertThat(s.getMessage()).contains("too old resource version");
      assertThat(s.getUnknownFields().asMap()).isEmpty();
    }
  }

  @Test
  void jsonIsServedWhenAcceptPrefersIt() throws Exception {
    long rv = cluster.resourceVersion();
    for (String accept : List.of("application/json, application/vnd.kubernetes.protobuf",
        "application/vnd.kubernetes.protobuf;q=0.5, application/json", "*/*")) {
      try (RawWatch w = new RawWatch(rv, accept, "")) {
        assertThat(w.head).as(accept).containsIgnoringCase("Content-Type: application/json;stream=watch");
      }
    }
  }

  @Test
  void dieMidEventWritesHalfAFrameThenResetsTheConnection() throws Exception {
    long rv = cluster.resourceVersion();
    try (RawWatch w = new RawWatch(rv, CLIENT_GO_ACCEPT, "")) {
      cluster.createConfigMap("default", "before", Map.of("k", "v"));
      byte[] whole = w.nextFrame();
      await().until(() -> server.watchCount(WatchFraming.PROTOBUF) == 1);
      Thread writer = writeSoon("during");
      assertThat(server.dieMidEvent()).isEqualTo(1);
      writer.join();
      byte[] rest = w.rest();
      // the next chunk holds the start of a frame, not all of it, and the stream never ends cleanly
      assertThat(rest.length).isGreaterThan(0).isLessThan(whole.length + 4);
      assertThat(w.terminated).isFalse();
    }
    assertThat(server.isListening()).isFalse();
  }

  @Test
  void webSocketWatchesSendOneMessagePerEventAndCloseWith1000() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).build();
    URI base = URI.create("wss://127.0.0.1:" + server.port());
    long rv = cluster.resourceVersion();
    TestWatcher json = watch(new WebSocketWatcher(client, base, "default", false, rv));
    TestWatcher pb = watch(new WebSocketWatcher(client, base, "default", true, rv));
    TestWatcher http = watch(new HttpWatcher(client, URI.create(server.url()), "default", true, rv));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.watchCount(WatchFraming.WEBSOCKET) == 2
        && server.watchCount(WatchFraming.PROTOBUF) == 1);
    for (int i = 0; i < 3; i++) {
      cluster.createConfigMap("default", "ws-" + i, Map.of("i", "" + i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of(json, pb, http).stream().allMatch(x -> x.events() == 3));
    server.stop(); // graceful: WebSocket watches get a Close 1000, HTTP watches the terminating chunk
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of(json, pb, http).stream().allMatch(x -> x.cleanEnds() == 1));
    server.start();
    cluster.createConfigMap("default", "ws-after", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of(json, pb, http).stream().allMatch(x -> x.events() == 4));
    for (TestWatcher x : List.of(json, pb, http)) {
      assertThat(x.errors()).as(x.toString()).isZero();
    }
    Thread writer = writeSoon("ws-cut");
    assertThat(server.dieMidEvent()).isEqualTo(3);
    writer.join();
    // directly on the simulator (no balancer in between) the cut is what a client sees: an error,
    // and over WebSocket the start of a message that never completes
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of(json, pb, http).stream().allMatch(x -> x.errors() == 1));
    assertThat(json.partialEvents()).as(json.toString()).isEqualTo(1);
    assertThat(pb.partialEvents()).as(pb.toString()).isEqualTo(1);
    assertThat(List.of(json, pb, http)).allMatch(x -> x.events() == 4);
  }

  private Thread writeSoon(String name) {
    Thread t = new Thread(() -> {
      sleepQuietly(300);
      cluster.createConfigMap("default", name, Map.of("k", "v"));
    });
    t.start();
    return t;
  }

  private TestWatcher watch(TestWatcher w) {
    watchers.add(w);
    return w.start();
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static org.assertj.core.data.Offset<Long> within(long n) {
    return org.assertj.core.data.Offset.offset(n);
  }

  /** A watch over a raw TLS socket (HTTP/1.1), de-chunked by hand to see exactly what was written. */
  final class RawWatch implements AutoCloseable {
    final SSLSocket socket;
    final InputStream in;
    final String head;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean terminated;
    private int consumed;

    RawWatch(long rv, String accept, String extraQuery) throws IOException {
      socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", server.port());
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv
          + extraQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      in = socket.getInputStream();
      head = readUntil("\r\n\r\n");
    }

    private String readUntil(String end) throws IOException {
      StringBuilder sb = new StringBuilder();
      while (!sb.toString().endsWith(end)) {
        int c = in.read();
        if (c < 0) {
          throw new IOException("EOF after " + sb);
        }
        sb.append((char) c);
      }
      return sb.toString();
    }

    /** Reads one chunk into {@link #body}; false at the terminating chunk. */
    private boolean chunk() throws IOException {
      int size = Integer.parseInt(readUntil("\r\n").trim(), 16);
      if (size == 0) {
        terminated = true;
        return false;
      }
      byte[] data = in.readNBytes(size);
      body.write(data);
      if (data.length < size) {
        throw new IOException("EOF in a chunk");
      }
      in.readNBytes(2);
      return true;
    }

    /** The next complete protobuf frame's payload (the WatchEvent). */
    byte[] nextFrame() throws IOException {
      while (true) {
        byte[] b = body.toByteArray();
        if (b.length - consumed >= 4) {
          int n = ((b[consumed] & 0xff) << 24) | ((b[consumed + 1] & 0xff) << 16) | ((b[consumed + 2] & 0xff) << 8)
              | (b[consumed + 3] & 0xff);
          if (b.length - consumed - 4 >= n) {
            byte[] frame = Arrays.copyOfRange(b, consumed + 4, consumed + 4 + n);
            consumed += 4 + n;
            return frame;
          }
        }
        if (!chunk()) {
          throw new IOException("stream ended");
        }
      }
    }

    /** The next event; BOOKMARKs are skipped unless {@code bookmark}, then only a BOOKMARK is returned. */
    Meta.WatchEvent nextEvent(boolean bookmark) throws IOException {
      while (true) {
        Meta.WatchEvent ev = Meta.WatchEvent.parseFrom(nextFrame());
        if (ev.getType().equals("BOOKMARK") == bookmark) {
          return ev;
        }
      }
    }

    /** Everything after the frames consumed, until the connection ends (cleanly or not). */
    byte[] rest() {
      try {
        while (chunk()) {
          // keep reading
        }
      } catch (IOException | NumberFormatException e) {
        // reset, or EOF mid-chunk
      }
      byte[] b = body.toByteArray();
      return Arrays.copyOfRange(b, consumed, b.length);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
