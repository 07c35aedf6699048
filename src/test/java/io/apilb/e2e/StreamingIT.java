package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.StreamSession;
import io.apilb.testing.ControlPlaneFixture;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fabric8 exec and port-forward (WebSocket {@code v4.channel.k8s.io}), watches multiplexed on one
 * HTTP/2 client connection (idle past every short timeout, reset by the client), and upgrade
 * attempts over HTTP/2, through apilb with a 2 s short-request timeout.
 */
class StreamingIT {
  static ControlPlaneFixture cp;
  static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "upgrade", "te");

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.start(3, "apilb.proxy.request-timeout = 2s");
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  private static KubernetesClient fabric8() throws Exception {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(
        java.nio.file.Files.readString(cp.kubeconfig))).build();
  }

  private static List<StreamSession> sessions() {
    List<StreamSession> all = new ArrayList<>();
    cp.backends.forEach(b -> all.addAll(b.streamSessions()));
    return all;
  }

  private static int backendWatches() {
    return cp.backends.stream().mapToInt(SimulatedApiserver::watchCount).sum();
  }

  @Test
  void fabric8ExecReportsOutputAndExitCode() throws Exception {
    try (KubernetesClient client = fabric8()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ExecWatch w = client.pods().inNamespace("default").withName("demo-pod").writingOutput(out)
          .exec("sh", "-c", "echo from fabric8; exit 4")) {
        assertThat(w.exitCode().get(20, TimeUnit.SECONDS)).isEqualTo(4);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> out.toString(StandardCharsets.UTF_8).equals("from fabric8\n"));
    }
    StreamSession s = sessions().stream().filter(x -> x.command().contains("echo from fabric8; exit 4"))
        .findFirst().orElseThrow();
    assertThat(s.transport()).isEqualTo("websocket");
    assertThat(s.protocol()).endsWith(".channel.k8s.io");
    assertThat(s.exitCode()).isEqualTo(4);
  }

  @Test
  void fabric8PortForwardEchoes() throws Exception {
    try (KubernetesClient client = fabric8();
        LocalPortForward pf = client.pods().inNamespace("default").withName("demo-pod").portForward(8080);
        Socket s = new Socket("127.0.0.1", pf.getLocalPort())) {
      s.setSoTimeout(10_000);
      byte[] msg = "hello port 8080\n".getBytes(StandardCharsets.UTF_8);
      s.getOutputStream().write(msg);
      s.getOutputStream().flush();
      assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
      Thread.sleep(2_500); // idle past apilb's request timeout
      s.getOutputStream().write(msg);
      s.getOutputStream().flush();
      assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
    }
    StreamSession s = sessions().stream().filter(x -> x.subresource().equals("portforward")).findFirst().orElseThrow();
    assertThat(s.protocol()).isEqualTo("v4.channel.k8s.io");
    assertThat(s.stdinBytes()).isEqualTo(32);
  }

  @Test
  void twentyWatchesOnOneHttp2ConnectionAllReceiveEventsAndSurviveIdle() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    // warm the connection so every watch multiplexes on it
    assertThat(cp.get(client, "/version").version()).isEqualTo(HttpClient.Version.HTTP_2);
    int before = backendWatches();
    long rv = cp.cluster.resourceVersion();
    List<List<String>> events = new ArrayList<>();
    List<HttpResponse<Stream<String>>> responses = new CopyOnWriteArrayList<>();
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      List<String> mine = new CopyOnWriteArrayList<>();
      events.add(mine);
      HttpRequest req = HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv))
          .header("Authorization", "Bearer test-token").GET().build();
      HttpResponse<Stream<String>> r = client.send(req, HttpResponse.BodyHandlers.ofLines());
      responses.add(r);
      Thread t = new Thread(() -> r.body().forEach(mine::add));
      t.setDaemon(true);
      t.start();
      readers.add(t);
    }
    try {
      for (HttpResponse<Stream<String>> r : responses) {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.headers().map().keySet()).noneMatch(h -> HOP_BY_HOP.contains(h.toLowerCase(Locale.ROOT)));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> backendWatches() >= before + 20);
      cp.cluster.createConfigMap("default", "h2-watch-1", Map.of("a", "1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().allMatch(e -> e.stream().anyMatch(
          l -> l.contains("\"ADDED\"") && l.contains("h2-watch-1"))));
      Thread.sleep(3_000); // idle for longer than every short timeout
      cp.cluster.createConfigMap("default", "h2-watch-2", Map.of("a", "2"));
      await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().allMatch(e -> e.stream().anyMatch(
          l -> l.contains("h2-watch-2"))));
      assertThat(backendWatches()).isGreaterThanOrEqualTo(before + 20);
    } finally {
      readers.forEach(Thread::interrupt);
    }
  }

  @Test
  void aResetWatchStreamIsCancelledAtTheBackendWithinOneSecond() throws Exception {
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    int before = backendWatches();
    HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(
        cp.uri("/api/v1/namespaces/default/configmaps?watch=true")).header("Authorization", "Bearer test-token")
        .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    await().atMost(Duration.ofSeconds(5)).until(() -> backendWatches() == before + 1);
    r.body().close(); // the JDK client resets the stream (RST_STREAM CANCEL)
    long t0 = System.nanoTime();
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> backendWatches() == before);
    assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void upgradeOverHttp2IsRefusedAndExtendedConnectIsNotAdvertised() throws Exception {
    SslContext ssl = SslContextBuilder.forClient().trustManager(cp.ca.certificate())
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
        .build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    CompletableFuture<Http2SettingsFrame> settings = new CompletableFuture<>();
    CompletableFuture<Object> answer = new CompletableFuture<>();
    int before = cp.backends.stream().mapToInt(b -> b.requestCount(x -> x.path().endsWith("/exec"))).sum();
    try {
      Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              c.pipeline().addLast(ssl.newHandler(c.alloc(), "127.0.0.1", cp.port()));
              c.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
              c.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
              c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  if (msg instanceof Http2SettingsFrame s) {
                    settings.complete(s);
                  } else if (msg instanceof io.netty.handler.codec.http2.Http2GoAwayFrame g) {
                    answer.complete("GOAWAY " + g.errorCode());
                  }
                  ReferenceCountUtil.release(msg);
                }
              });
            }
          }).connect("127.0.0.1", cp.port()).sync().channel();
      Http2SettingsFrame s = settings.get(10, TimeUnit.SECONDS);
      assertThat(s.settings().get((char) 8)).as("SETTINGS_ENABLE_CONNECT_PROTOCOL").isNull();
      Http2StreamChannel stream = new Http2StreamChannelBootstrap(ch).handler(new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          if (msg instanceof Http2HeadersFrame h) {
            answer.complete(h.headers().status().toString());
          } else if (msg instanceof Http2ResetFrame rst) {
            answer.complete("RST_STREAM " + rst.errorCode());
          }
          ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
          answer.complete("stream closed without an answer");
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          // the multiplexer delivers a peer's RST_STREAM as a user event
          answer.complete(evt instanceof Http2ResetFrame rst ? "RST_STREAM " + rst.errorCode() : "event " + evt);
        }
      }).open().sync().getNow();
      DefaultHttp2Headers h = new DefaultHttp2Headers(false);
      h.method("GET").scheme("https").authority("127.0.0.1:" + cp.port())
          .path("/api/v1/namespaces/default/pods/demo-pod/exec?command=true&stdout=true");
      h.add("authorization", "Bearer test-token").add("connection", "Upgrade").add("upgrade", "websocket")
          .add("sec-websocket-version", "13").add("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
          .add("sec-websocket-protocol", "v5.channel.k8s.io");
      stream.writeAndFlush(new DefaultHttp2HeadersFrame(h, true)).sync();
      Object a = answer.get(10, TimeUnit.SECONDS);
      // connection-specific headers make the request malformed (RFC 9113 8.2.2): 4xx or RST_STREAM(PROTOCOL_ERROR)
      assertThat(a.toString()).as("an upgrade over HTTP/2 gets a clear error").matches("4\\d\\d|RST_STREAM 1");
      ch.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
    assertThat(cp.backends.stream().mapToInt(b -> b.requestCount(x -> x.path().endsWith("/exec"))).sum())
        .as("the upgrade never reached a backend").isEqualTo(before);
  }
}
