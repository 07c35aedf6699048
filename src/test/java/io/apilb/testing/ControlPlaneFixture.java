package io.apilb.testing;

import static org.awaitility.Awaitility.await;

import io.apilb.cli.ApilbRuntime;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigLoader;
import io.apilb.sim.FrontProxyAuth;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.SimulatedApiserverBuilder;
import io.apilb.sim.SimulatedCluster;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.tls.PemFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A simulated HA control plane for integration tests: N simulated kube-apiservers sharing one
 * cluster, apilb in front of them in-process (ports chosen by the OS), certificates issued at
 * test time, a token kubeconfig, and helpers to drive kubectl and HTTP clients through apilb.
 */
public final class ControlPlaneFixture implements AutoCloseable {
  public final Path dir;
  public final Issued ca;
  public final SimulatedCluster cluster = new SimulatedCluster();
  public final List<SimulatedApiserver> backends = new ArrayList<>();
  public final ApilbRuntime apilb;
  public final Path kubeconfig;
  /** With client certificates: kubeadm's front-proxy CA, and the kubeadm-layout PKI directory. */
  public final Issued frontProxyCa;
  public final Path pki;

  private ControlPlaneFixture(int count, String extraConfig, boolean clientCertificates) throws Exception {
    this(count, extraConfig, clientCertificates, false);
  }

  private ControlPlaneFixture(int count, String extraConfig, boolean clientCertificates, boolean http2)
      throws Exception {
    dir = Files.createTempDirectory("apilb-it");
    ca = CertificateIssuer.selfSignedCa("test-cluster-ca", Duration.ofDays(1));
    PemFiles.writeCertificates(dir.resolve("ca.crt"), ca.certificate());
    frontProxyCa = clientCertificates ? CertificateIssuer.selfSignedCa("front-proxy-ca", Duration.ofDays(1)) : null;
    pki = clientCertificates ? writeKubeadmPki(dir.resolve("pki")) : null;
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb", List.of("localhost"),
        List.of("127.0.0.1"), Duration.ofDays(1)));
    PemFiles.writeCertificates(dir.resolve("apilb.crt"), serving.certificate());
    PemFiles.writePrivateKey(dir.resolve("apilb.key"), serving.privateKey());
    StringBuilder list = new StringBuilder();
    for (int i = 1; i <= count; i++) {
      Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("kube-apiserver", List.of("localhost"),
          List.of("127.0.0.1"), Duration.ofDays(1)));
      SimulatedApiserverBuilder sb = SimulatedApiserver.builder("cp" + i, cluster)
          .keyMaterial(cert.keyMaterial()).bindAddress("127.0.0.1").port(0).eventLoopThreads(1).http2(http2);
      if (clientCertificates) {
        sb.authentication(FrontProxyAuth.kubeadm(frontProxyCa.certificate(), ca.certificate()));
      }
      SimulatedApiserver s = sb.build().start();
      backends.add(s);
      list.append("{ name = \"cp").append(i).append("\", address = \"127.0.0.1:").append(s.port()).append("\" }\n");
    }
    String hocon = """
        apilb {
          listener { address = "127.0.0.1", port = 0, tls { cert-file = "%1$s/apilb.crt", key-file = "%1$s/apilb.key" } }
          backends = [
        %2$s  ]
          %4$s
          health { interval = 200ms, timeout = 150ms, rise = 2, fall = 2 }
          admin { address = "127.0.0.1", port = 0 }
          proxy { request-timeout = 20s }
        }
        %3$s
        """.formatted(dir, list, extraConfig, clientCertificates
            // kubeadm layout: every CA and the front-proxy certificate come from pki-dir
            ? "pki-dir = \"" + pki + "\"\n  certificate-reload-interval = 300ms"
            : "backend-tls.ca-file = \"" + dir + "/ca.crt\"");
    Files.writeString(dir.resolve("apilb.conf"), hocon);
    ApilbConfig config = ConfigLoader.load(dir.resolve("apilb.conf"));
    apilb = ApilbRuntime.start(config);
    kubeconfig = dir.resolve("kubeconfig");
    writeKubeconfig(kubeconfig, "token: test-token");
  }

  /** Starts {@code count} simulated apiservers and apilb, and waits until all are ready. */
  public static ControlPlaneFixture start(int count) throws Exception {
    return start(count, "");
  }

  /** As {@link #start(int)}, with extra HOCON appended to apilb's configuration. */
  public static ControlPlaneFixture start(int count, String extraConfig) throws Exception {
    return start(count, extraConfig, false);
  }

  /**
   * A kubeadm-like control plane with client certificates: the apiservers authenticate like
   * kube-apiserver (request-header with front-proxy-ca and allowed name front-proxy-client, x509
   * with the cluster CA, tokens, anonymous), and apilb is configured by {@code pki-dir} alone.
   */
  public static ControlPlaneFixture startWithClientCertificates(int count, String extraConfig) throws Exception {
    return start(count, extraConfig, true);
  }

  /**
   * As {@link #startWithClientCertificates} (or without client certificates), with apiservers that
   * serve HTTP/2 like kube-apiserver (ALPN h2, 250 streams, the 1.28+ unauthenticated GOAWAY).
   */
  public static ControlPlaneFixture startHttp2(int count, String extraConfig, boolean clientCertificates)
      throws Exception {
    return start(count, extraConfig, clientCertificates, true);
  }

  private static ControlPlaneFixture start(int count, String extraConfig, boolean clientCertificates)
      throws Exception {
    return start(count, extraConfig, clientCertificates, false);
  }

  private static ControlPlaneFixture start(int count, String extraConfig, boolean clientCertificates, boolean http2)
      throws Exception {
    ControlPlaneFixture f = new ControlPlaneFixture(count, extraConfig, clientCertificates, http2);
    try {
      f.awaitAllReady();
    } catch (RuntimeException | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  public void awaitAllReady() {
    await().atMost(Duration.ofSeconds(15)).until(() -> apilb.backends().snapshot().ready().size() == backends.size());
  }

  public SimulatedApiserver backend(String name) {
    return backends.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
  }

  public int port() {
    return apilb.listenerAddress().getPort();
  }

  public URI uri(String pathAndQuery) {
    return URI.create("https://127.0.0.1:" + port() + pathAndQuery);
  }

  public URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + apilb.adminAddress().getPort() + path);
  }

  /** Writes a kubeconfig pointing at apilb; {@code userYaml} is the user's fields (one line). */
  public void writeKubeconfig(Path file, String userYaml) throws IOException {
    String caData = Base64.getEncoder().encodeToString(
        PemFiles.toPem(ca.certificate()).getBytes(StandardCharsets.US_ASCII));
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: apilb
          cluster:
            server: https://127.0.0.1:%d
            certificate-authority-data: %s
        users:
        - name: u
          user:
            %s
        contexts:
        - name: apilb
          context: {cluster: apilb, user: u, namespace: default}
        current-context: apilb
        """.formatted(port(), caData, userYaml));
  }

  /** An SSLContext trusting the test CA. */
  public SSLContext clientSslContext() throws Exception {
    return clientSslContext(null);
  }

  /** An SSLContext trusting the test CA and presenting {@code clientCert} (null: none). */
  public SSLContext clientSslContext(Issued clientCert) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    KeyManager[] kms = null;
    if (clientCert != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", clientCert.privateKey(), new char[0],
          new java.security.cert.Certificate[] {clientCert.certificate()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
      kms = kmf.getKeyManagers();
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kms, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A JDK HTTP client presenting {@code clientCert} (null: none). */
  public HttpClient httpClient(HttpClient.Version version, Issued clientCert) throws Exception {
    return HttpClient.newBuilder().version(version).sslContext(clientSslContext(clientCert))
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** A client certificate (RSA, as kubeadm issues) signed by the cluster CA: CN user, O groups. */
  public Issued issueClient(String user, String... groups) {
    return CertificateIssuer.issue(ca, LeafSpec.client(user, List.of(groups), Duration.ofDays(1))
        .withKeyType(CertificateIssuer.KeyType.RSA_2048));
  }

  /** Writes a kubeconfig pointing at apilb with {@code clientCert} (PKCS#1 key, as kubeadm). */
  public void writeCertKubeconfig(Path file, Issued clientCert) throws IOException {
    Base64.Encoder b64 = Base64.getEncoder();
    writeKubeconfig(file, "client-certificate-data: "
        + b64.encodeToString(PemFiles.toPem(clientCert.certificate()).getBytes(StandardCharsets.US_ASCII))
        + "\n    client-key-data: "
        + b64.encodeToString(PemFiles.toTraditionalPem(clientCert.privateKey()).getBytes(StandardCharsets.US_ASCII)));
  }

  /** Writes a new front-proxy-client certificate and key (CN front-proxy-client) into {@link #pki}. */
  public Issued rotateFrontProxyClient() throws IOException {
    Issued fp = CertificateIssuer.issue(frontProxyCa, LeafSpec.client("front-proxy-client", List.of(),
        Duration.ofDays(1)).withKeyType(CertificateIssuer.KeyType.RSA_2048));
    writeKeyThenCert(pki.resolve("front-proxy-client.crt"), pki.resolve("front-proxy-client.key"), fp);
    return fp;
  }

  /** Writes a new serving certificate for apilb (same names) over apilb.crt/.key. */
  public Issued rotateServing() throws IOException {
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb-rotated", List.of("localhost"),
        List.of("127.0.0.1"), Duration.ofDays(1)));
    writeKeyThenCert(dir.resolve("apilb.crt"), dir.resolve("apilb.key"), serving);
    return serving;
  }

  private static void writeKeyThenCert(Path cert, Path key, Issued issued) throws IOException {
    Path tmpKey = key.resolveSibling(key.getFileName() + ".tmp");
    Path tmpCert = cert.resolveSibling(cert.getFileName() + ".tmp");
    Files.writeString(tmpKey, PemFiles.toTraditionalPem(issued.privateKey()));
    Files.writeString(tmpCert, PemFiles.toPem(issued.certificate()));
    Files.move(tmpKey, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.move(tmpCert, cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** kubeadm's files: ca.crt/.key, front-proxy-ca.crt/.key, front-proxy-client.crt/.key (PKCS#1). */
  private Path writeKubeadmPki(Path pkiDir) throws IOException {
    Files.createDirectories(pkiDir);
    PemFiles.writeCertificates(pkiDir.resolve("ca.crt"), ca.certificate());
    Files.writeString(pkiDir.resolve("ca.key"), PemFiles.toTraditionalPem(ca.privateKey()));
    PemFiles.writeCertificates(pkiDir.resolve("front-proxy-ca.crt"), frontProxyCa.certificate());
    Files.writeString(pkiDir.resolve("front-proxy-ca.key"), PemFiles.toTraditionalPem(frontProxyCa.privateKey()));
    Issued fp = CertificateIssuer.issue(frontProxyCa, LeafSpec.client("front-proxy-client", List.of(),
        Duration.ofDays(1)).withKeyType(CertificateIssuer.KeyType.RSA_2048));
    PemFiles.writeCertificates(pkiDir.resolve("front-proxy-client.crt"), fp.certificate());
    Files.writeString(pkiDir.resolve("front-proxy-client.key"), PemFiles.toTraditionalPem(fp.privateKey()));
    return pkiDir;
  }

  /** A JDK HTTP client through apilb; HTTP_2 negotiates h2 by ALPN, HTTP_1_1 forces HTTP/1.1. */
  public HttpClient httpClient(HttpClient.Version version) throws Exception {
    return httpClient(version, null);
  }

  public HttpResponse<String> get(HttpClient client, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer test-token").GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Result of a finished process. */
  public record ProcessResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs kubectl (the default on PATH, or {@code APILB_KUBECTL}) against apilb and waits for it. */
  public ProcessResult kubectl(String... args) throws Exception {
    return kubectlWith(kubeconfig, args);
  }

  public ProcessResult kubectlWith(Path config, String... args) throws Exception {
    Process p = kubectlProcess(config, args).start();
    p.getOutputStream().close();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new ProcessResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** A kubectl process builder (for long-running commands such as {@code get -w}). */
  public ProcessBuilder kubectlProcess(Path config, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(kubectlBinary());
    cmd.add("--kubeconfig=" + config);
    cmd.add("--cache-dir=" + dir.resolve("kube-cache"));
    cmd.add("--request-timeout=20s");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.remove("KUBECONFIG");
    env.put("HOME", dir.toString());
    return pb;
  }

  public static String kubectlBinary() {
    String override = System.getenv("APILB_KUBECTL");
    return override != null && !override.isBlank() ? override : "kubectl";
  }

  /** Whether a kubectl binary can be run here (tests that need it skip otherwise). */
  public static boolean kubectlAvailable() {
    try {
      Process p = new ProcessBuilder(kubectlBinary(), "version", "--client").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      apilb.close();
    } finally {
      backends.forEach(SimulatedApiserver::close);
    }
  }
}
