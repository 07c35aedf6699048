package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.sim.RecordedRequest;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.StreamSession;
import io.apilb.testing.ControlPlaneFixture;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upgrades through apilb (kubectl exec / port-forward over WebSocket and SPDY/3.1, raw
 * handshakes, WebSocket-to-SPDY fallback), with apilb's short-request timeout at 2 s to prove
 * tunnels outlive it. Asserts on what the client saw and on what the backend recorded.
 */
class UpgradeIT {
  static ControlPlaneFixture cp;
  static final String EXEC_PATH = "/api/v1/namespaces/default/pods/demo-pod/exec";

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    cp = ControlPlaneFixture.start(3, "apilb.proxy.request-timeout = 2s");
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @AfterEach
  void reset() {
    cp.backends.forEach(SimulatedApiserver::resetFaults);
  }

  // ---- helpers ------------------------------------------------------------------------------------

  record Run(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  static Run kubectl(Map<String, String> env, byte[] stdin, String... args) throws Exception {
    ProcessBuilder pb = cp.kubectlProcess(cp.kubeconfig, args);
    pb.environment().putAll(env);
    Process p = pb.start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin);
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS),
        new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }

  static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  static List<StreamSession> sessions() {
    List<StreamSession> all = new ArrayList<>();
    cp.backends.forEach(b -> all.addAll(b.streamSessions()));
    all.sort(java.util.Comparator.comparingLong(StreamSession::sequence)); // sessions spread over backends
    return all;
  }

  static StreamSession lastSession(Predicate<StreamSession> p) {
    List<StreamSession> s = sessions().stream().filter(p).toList();
    assertThat(s).as("stream sessions").isNotEmpty();
    return s.get(s.size() - 1);
  }

  static List<RecordedRequest> requests(Predicate<RecordedRequest> p) {
    List<RecordedRequest> all = new ArrayList<>();
    cp.backends.forEach(b -> all.addAll(b.requests().stream().filter(p).toList()));
    return all;
  }

  /** The backend connection carried this request only (a fresh, dedicated connection). */
  static void assertDedicatedConnection(RecordedRequest upgrade) {
    for (SimulatedApiserver b : cp.backends) {
      if (b.requests().contains(upgrade)) {
        assertThat(b.requests().stream().filter(r -> r.connectionId() == upgrade.connectionId()).toList())
            .as("requests on the upgraded backend connection").containsExactly(upgrade);
      }
    }
  }

  static SSLSocket rawSocket() throws Exception {
    SSLSocket s = (SSLSocket) cp.clientSslContext().getSocketFactory().createSocket("127.0.0.1", cp.port());
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  /** Reads a response head (status line and headers) byte by byte, leaving the rest unread. */
  static List<String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
        break;
      }
    }
    return List.of(b.toString(StandardCharsets.ISO_8859_1).split("\r\n"));
  }

  static List<String> header(List<String> head, String name) {
    return head.stream().skip(1).filter(l -> l.toLowerCase().startsWith(name.toLowerCase() + ":"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim()).toList();
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  // ---- kubectl exec -------------------------------------------------------------------------------

  @Test
  void execOverWebSocketPrintsOutputAndReturnsExitCode() throws Exception {
    Run r = kubectl(Map.of(), null, "exec", "demo-pod", "--", "sh", "-c", "echo hello from demo; exit 3");
    assertThat(r.out()).isEqualTo("hello from demo\n");
    assertThat(r.exit()).as(r.stderr()).isEqualTo(3);

    StreamSession s = lastSession(x -> x.command().contains("echo hello from demo; exit 3"));
    assertThat(s.transport()).isEqualTo("websocket");
    assertThat(s.protocol()).isEqualTo("v5.channel.k8s.io");
    assertThat(s.exitCode()).isEqualTo(3);
    RecordedRequest req = requests(x -> x.path().equals(EXEC_PATH) && x.uri().contains("exit+3")).get(0);
    assertThat(req.method()).isEqualTo("GET");
    assertThat(req.header("Connection").orElseThrow()).containsIgnoringCase("upgrade");
    assertThat(req.header("Upgrade")).hasValue("websocket");
    assertThat(req.header("Sec-WebSocket-Protocol").orElseThrow()).contains("v5.channel.k8s.io");
    assertDedicatedConnection(req);
  }

  @Test
  void execStdinIsPassedThroughAndEofReachesTheCommand() throws Exception {
    Run r = kubectl(Map.of(), "line one\nline two\n".getBytes(StandardCharsets.UTF_8), "exec", "-i", "demo-pod",
        "--", "cat");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.out()).isEqualTo("line one\nline two\n");
    StreamSession s = lastSession(x -> x.command().equals(List.of("cat")) && x.transport().equals("websocket"));
    assertThat(s.stdinClosed()).as("v5 CLOSE of stdin reached the command").isTrue();
    assertThat(s.stdinBytes()).isEqualTo(18);
    assertThat(s.exitCode()).isZero();
  }

  @Test
  void fiftyMegabytesThroughExecCatAreByteIdentical() throws Exception {
    byte[] data = new byte[50 * 1024 * 1024];
    new Random(42).nextBytes(data);
    long t0 = System.nanoTime();
    Run r = kubectl(Map.of(), data, "exec", "-i", "demo-pod", "--", "cat");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.stdout().length).isEqualTo(data.length);
    assertThat(sha256(r.stdout())).isEqualTo(sha256(data));
    assertThat(ms).as("50 MB round trip in ms").isLessThan(50_000);
    StreamSession s = lastSession(x -> x.command().equals(List.of("cat")) && x.stdinBytes() == data.length);
    assertThat(s.outputBytes()).isEqualTo(data.length);
  }

  @Test
  void execOverSpdyNegotiatesTheProtocolAndBytesFlowBothWays() throws Exception {
    Run r = kubectl(Map.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), "over spdy\n".getBytes(StandardCharsets.UTF_8),
        "exec", "-i", "demo-pod", "--", "cat");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.out()).isEqualTo("over spdy\n");
    StreamSession s = lastSession(x -> x.transport().equals("spdy") && x.command().equals(List.of("cat")));
    assertThat(s.protocol()).isEqualTo("v4.channel.k8s.io");
    assertThat(s.stdinClosed()).isTrue();
    RecordedRequest req = requests(x -> x.path().equals(EXEC_PATH) && x.method().equals("POST")).get(0);
    assertThat(req.header("Upgrade")).hasValue("SPDY/3.1");
    assertThat(req.header("Connection").orElseThrow()).containsIgnoringCase("upgrade");
    assertThat(req.headers("X-Stream-Protocol-Version")).containsExactly("v5.channel.k8s.io",
        "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");
    assertDedicatedConnection(req);

    Run fail = kubectl(Map.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), null, "exec", "demo-pod", "--", "exit", "7");
    assertThat(fail.exit()).as(fail.stderr()).isEqualTo(7);
  }

  @Test
  void spdyHandshakeThroughApilbGets101WithTheNegotiatedProtocol() throws Exception {
    try (SSLSocket s = rawSocket()) {
      OutputStream out = s.getOutputStream();
      out.write(("POST " + EXEC_PATH + "?command=echo&command=raw&stdout=true HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\nAuthorization: Bearer test-token\r\nContent-Length: 0\r\n"
          + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
          + "X-Stream-Protocol-Version: v5.channel.k8s.io\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
          + "X-Stream-Protocol-Version: channel.k8s.io\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      List<String> head = readHead(s.getInputStream());
      assertThat(head.get(0)).startsWith("HTTP/1.1 101");
      assertThat(header(head, "Upgrade")).containsExactly("SPDY/3.1");
      assertThat(String.join(",", header(head, "Connection"))).containsIgnoringCase("upgrade");
      assertThat(header(head, "X-Stream-Protocol-Version")).containsExactly("v4.channel.k8s.io");
    }
    RecordedRequest req = requests(x -> x.uri().contains("command=raw")).get(0);
    assertThat(req.headers("X-Stream-Protocol-Version")).containsExactly("v5.channel.k8s.io",
        "v4.channel.k8s.io", "channel.k8s.io");
  }

  @Test
  void non101AnswersReachTheClientAsHttpResponses() throws Exception {
    try (SSLSocket s = rawSocket()) {
      s.getOutputStream().write(("POST " + EXEC_PATH + "?command=true&stdout=true HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\nAuthorization: Bearer test-token\r\nContent-Length: 0\r\n"
          + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v9.channel.k8s.io\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      List<String> head = readHead(s.getInputStream());
      assertThat(head.get(0)).startsWith("HTTP/1.1 403");
      assertThat(header(head, "X-Accepted-Stream-Protocol-Versions")).containsExactly("v4.channel.k8s.io",
          "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");
    }
    try (SSLSocket s = rawSocket()) {
      s.getOutputStream().write(("GET /api/v1/namespaces/default/pods/no-such-pod/exec?command=true&stdout=true HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\nAuthorization: Bearer test-token\r\n"
          + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      List<String> head = readHead(s.getInputStream());
      assertThat(head.get(0)).startsWith("HTTP/1.1 404");
      int len = Integer.parseInt(header(head, "Content-Length").get(0));
      String body = new String(s.getInputStream().readNBytes(len), StandardCharsets.UTF_8);
      assertThat(body).contains("\"kind\":\"Status\"", "NotFound");
    }
  }

  @Test
  void kubectlFallsBackToSpdyWhenTheWebSocketUpgradeIsRefused() throws Exception {
    cp.backends.forEach(b -> b.rejectWebSocketStreams(true));
    Run r = kubectl(Map.of(), "fallback\n".getBytes(StandardCharsets.UTF_8), "exec", "-i", "demo-pod", "--", "cat");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.out()).isEqualTo("fallback\n");
    assertThat(requests(x -> x.path().equals(EXEC_PATH) && x.method().equals("GET")
        && "websocket".equalsIgnoreCase(x.header("Upgrade").orElse("")))).isNotEmpty();
    assertThat(lastSession(x -> x.command().equals(List.of("cat"))).transport()).isEqualTo("spdy");
  }

  @Test
  void webSocketBearerTokenSubprotocolIsForwardedByteForByte() throws Exception {
    String protocols = "base64url.bearer.authorization.k8s.io.dGVzdC10b2tlbg, v4.channel.k8s.io";
    try (SSLSocket s = rawSocket()) {
      s.getOutputStream().write(("GET " + EXEC_PATH + "?command=echo&command=tok&stdout=true HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: " + protocols + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      List<String> head = readHead(s.getInputStream());
      assertThat(head.get(0)).startsWith("HTTP/1.1 101");
      assertThat(header(head, "Sec-WebSocket-Protocol")).containsExactly("v4.channel.k8s.io");
      assertThat(header(head, "Sec-WebSocket-Accept")).containsExactly("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      // first message: stdout channel (1) with "tok\n"; server frames are unmasked
      InputStream in = s.getInputStream();
      byte[] frame = in.readNBytes(2);
      assertThat(frame[0] & 0x0f).isEqualTo(2);
      byte[] payload = in.readNBytes(frame[1] & 0x7f);
      assertThat(payload[0]).isEqualTo((byte) 1);
      assertThat(new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8)).isEqualTo("tok\n");
    }
    RecordedRequest req = requests(x -> x.uri().contains("command=tok")).get(0);
    assertThat(req.header("Sec-WebSocket-Protocol")).hasValue(protocols);
  }

  // ---- port-forward and logs ----------------------------------------------------------------------

  @Test
  void portForwardOverWebSocketCarriesTwoConcurrentConnectionsAndOutlivesTheRequestTimeout() throws Exception {
    portForward(Map.of(), "websocket", "SPDY/3.1+portforward.k8s.io");
  }

  @Test
  void portForwardOverSpdyCarriesTwoConcurrentConnections() throws Exception {
    portForward(Map.of("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"), "spdy", "portforward.k8s.io");
  }

  private void portForward(Map<String, String> env, String transport, String protocol) throws Exception {
    int before = (int) sessions().stream().filter(x -> x.subresource().equals("portforward")).count();
    ProcessBuilder pb = cp.kubectlProcess(cp.kubeconfig, "port-forward", "pod/demo-pod", ":8080");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try {
      BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      int port = -1;
      Pattern fwd = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> 8080");
      List<String> seen = new CopyOnWriteArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (port < 0 && System.nanoTime() < deadline) {
        String line = lines.readLine();
        if (line == null) {
          break;
        }
        seen.add(line);
        Matcher m = fwd.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        }
      }
      assertThat(port).as("kubectl port-forward output: " + seen).isPositive();
      Thread drain = new Thread(() -> readAll(p.getInputStream()));
      drain.setDaemon(true);
      drain.start();
      try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
        a.setSoTimeout(10_000);
        b.setSoTimeout(10_000);
        echo(a, "first connection");
        echo(b, "second connection");
        echo(a, "first again");
        Thread.sleep(3_000); // idle for longer than apilb's 2 s short-request timeout
        echo(b, "second after idle");
        echo(a, "first after idle");
      }
      StreamSession s = sessions().stream().filter(x -> x.subresource().equals("portforward")).skip(before)
          .findFirst().orElseThrow();
      assertThat(s.transport()).isEqualTo(transport);
      assertThat(s.protocol()).isEqualTo(protocol);
      assertThat(s.dataStreams()).isEqualTo(2);
      assertThat(s.closed()).isFalse();
      RecordedRequest req = requests(x -> x.path().endsWith("/demo-pod/portforward")).get(0);
      assertThat(req.header("Connection").orElseThrow()).containsIgnoringCase("upgrade");
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void echo(Socket s, String text) throws IOException {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    assertThat(new String(s.getInputStream().readNBytes(b.length), StandardCharsets.UTF_8)).isEqualTo(text + "\n");
  }

  @Test
  void logsFollowStreamsLinesPastTheRequestTimeout() throws Exception {
    Process p = cp.kubectlProcess(cp.kubeconfig, "logs", "-f", "demo-pod").redirectErrorStream(true).start();
    try {
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      long t0 = System.nanoTime();
      String line = null;
      for (int i = 0; i < 20; i++) { // 3 at once, then one per 200 ms: line 20 comes after ~3.4 s
        line = r.readLine();
        assertThat(line).isNotNull();
      }
      assertThat(line).endsWith("demo-pod/main line 20");
      assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.SECONDS.toNanos(2));
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void kubectlGetPodShowsTheRunningPod() throws Exception {
    ControlPlaneFixture.ProcessResult r = cp.kubectl("get", "pod", "demo-pod");
    assertThat(r.ok()).as(r.stderr()).isTrue();
    assertThat(r.stdout()).contains("demo-pod", "Running");
  }
}
