package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.backend.BackendEntry;
import io.apilb.cli.ApilbRuntime;
import io.apilb.config.ConfigLoader;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.sim.FrontProxyAuth;
import io.apilb.sim.LeaderElection;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.SimulatedCluster;
import io.apilb.tls.PemFiles;
import io.apilb.testing.HeadlessChromium;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The control plane as apilb sees it: three simulated apiservers that publish themselves in the
 * default/kubernetes EndpointSlice (each on its own loopback address, one port, like
 * kube-apiserver's lease reconciler wants), leader Leases of kube-controller-manager and
 * kube-scheduler, and apilb configured with one seed and EndpointSlice discovery, reading with
 * its front-proxy identity. Then a fourth apiserver joins and the second leaves at run time, and
 * the status page is read in headless Chromium.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneStatusIT {
  static final Duration DISCOVERY_INTERVAL = Duration.ofMillis(300);
  static final Duration PROBE_INTERVAL = Duration.ofMillis(200);
  static final int RISE = 2;

  static Path dir;
  static Issued ca;
  static Issued frontProxyCa;
  static int port;
  static final SimulatedCluster cluster = new SimulatedCluster();
  static final List<SimulatedApiserver> servers = new ArrayList<>();
  static LeaderElection controllerManager;
  static LeaderElection scheduler;
  static ApilbRuntime apilb;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("apilb-cp");
    ca = CertificateIssuer.selfSignedCa("test-cluster-ca", Duration.ofDays(1));
    frontProxyCa = CertificateIssuer.selfSignedCa("front-proxy-ca", Duration.ofDays(1));
    KubeadmPki.write(dir.resolve("pki"), ca, frontProxyCa);
    port = portFreeOnLoopbacks(4);
    for (int i = 1; i <= 3; i++) {
      servers.add(apiserver(i, i == 3 ? "v1.34.0" : "v1.33.1"));
    }
    controllerManager = LeaderElection.start(cluster, "kube-system", "kube-controller-manager", "cp1",
        Duration.ofSeconds(15), Duration.ofSeconds(1));
    scheduler = LeaderElection.start(cluster, "kube-system", "kube-scheduler", "cp2",
        Duration.ofSeconds(15), Duration.ofSeconds(1));
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb", List.of("localhost"), List.of("127.0.0.1"),
        Duration.ofDays(1)));
    PemFiles.writeCertificates(dir.resolve("apilb.crt"), serving.certificate());
    PemFiles.writePrivateKey(dir.resolve("apilb.key"), serving.privateKey());
    Files.writeString(dir.resolve("apilb.conf"), """
        apilb {
          pki-dir = "%1$s/pki"
          listener { address = "127.0.0.1", port = 0, tls { cert-file = "%1$s/apilb.crt", key-file = "%1$s/apilb.key" } }
          backends = [ { name = "cp1", address = "127.0.0.1:%2$d" } ]
          discovery { mode = "endpointslice", interval = %3$dms }
          control-plane { lease-interval = 300ms, version-interval = 500ms }
          health { interval = %4$dms, timeout = 150ms, rise = %5$d, fall = 2 }
          admin { address = "127.0.0.1", port = 0 }
        }
        """.formatted(dir, port, DISCOVERY_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), RISE));
    apilb = ApilbRuntime.start(ConfigLoader.load(dir.resolve("apilb.conf")));
  }

  @AfterAll
  static void stop() {
    if (apilb != null) {
      apilb.close();
    }
    if (controllerManager != null) {
      controllerManager.close();
      scheduler.close();
    }
    servers.forEach(SimulatedApiserver::close);
  }

  @Test
  @Order(1)
  void allThreeApiserversAreDiscoveredFromOneSeed() {
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(readyNames())
        .containsExactlyInAnyOrder("cp1", "apiserver-127-0-0-2-" + port, "apiserver-127-0-0-3-" + port));
    // discovery read the EndpointSlices as system:apilb through the front-proxy certificate
    assertThat(servers.stream().flatMap(s -> s.requests().stream())
        .filter(r -> r.uri().contains("/endpointslices"))
        .anyMatch(r -> r.user().map(u -> u.name().equals("system:apilb")
            && u.method() == FrontProxyAuth.Method.REQUEST_HEADER).orElse(false))).isTrue();
  }

  @Test
  @Order(2)
  void anApiserverAddedAndOneRemovedAtRunTimeAreFollowedWithinOneIntervalPlusRise() throws Exception {
    long started = System.nanoTime();
    servers.add(apiserver(4, "v1.33.1"));
    String fourth = "apiserver-127-0-0-4-" + port;
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> readyNames().contains(fourth));
    Duration joined = Duration.ofNanos(System.nanoTime() - started);
    // one discovery interval to see it, the first probe within one probe interval, then rise probes
    Duration bound = DISCOVERY_INTERVAL.plus(PROBE_INTERVAL.multipliedBy(RISE + 1).multipliedBy(11).dividedBy(10));
    System.out.printf("fourth apiserver ready in apilb after %d ms (bound %d ms + 500 ms for the reads)%n",
        joined.toMillis(), bound.toMillis());
    assertThat(joined).isLessThan(bound.plusMillis(500));

    started = System.nanoTime();
    servers.get(1).stop(); // graceful: kube-apiserver takes itself out of the EndpointSlice
    String second = "apiserver-127-0-0-2-" + port;
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> apilb.backends().snapshot().byName(second).isEmpty());
    Duration left = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf("second apiserver removed from apilb after %d ms%n", left.toMillis());
    assertThat(left).isLessThan(DISCOVERY_INTERVAL.plusMillis(1500));
    assertThat(readyNames()).containsExactlyInAnyOrder("cp1", "apiserver-127-0-0-3-" + port, fourth);
  }

  @Test
  @Order(3)
  void statusJsonHasChecksVersionsAndLeaseHolders() throws Exception {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode status = json.readTree(get("/status"));
      assertThat(status.path("backends")).hasSize(3);
      for (JsonNode b : status.path("backends")) {
        assertThat(b.path("checks").toString()).contains("\"etcd\"", "\"shutdown\"");
        assertThat(b.path("version").asText()).startsWith("v1.3");
      }
      assertThat(status.path("versionSkew").asBoolean()).isTrue();
      assertThat(status.path("leases").toString()).contains(controllerManager.holder(), scheduler.holder());
      assertThat(status.path("discovery").path("source").asText()).isEqualTo("EndpointSlice");
    });
  }

  @Test
  @Order(4)
  void theStatusPageInChromiumShowsEveryBackendWithChecksVersionAndBothLeaseHolders() throws Exception {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    assumeTrue(ci || HeadlessChromium.available(), "chromium is not installed (CI installs it: .ci/install-test-deps)");
    await().atMost(Duration.ofSeconds(10)).until(() -> get("/").contains("v1.34.0"));
    String url = "http://127.0.0.1:" + apilb.adminAddress().getPort() + "/";
    String text = HeadlessChromium.visibleText(HeadlessChromium.dumpDom(url, dir));
    assertThat(text).contains("apilb control plane", "3 of 3 apiservers ready", "version skew",
        "cp1", "apiserver-127-0-0-3-" + port, "apiserver-127-0-0-4-" + port,
        "[+]etcd", "[+]shutdown", "[+]informer-sync", "v1.33.1", "v1.34.0",
        "kube-system/kube-controller-manager", controllerManager.holder(),
        "kube-system/kube-scheduler", scheduler.holder(), "mode endpointslice");
    Path png = Path.of("target", "status-page.png");
    Files.createDirectories(png.getParent());
    HeadlessChromium.screenshot(url, png, 1400, 1000, dir);
    assertThat(Files.size(png)).isGreaterThan(10_000);
  }

  @Test
  @Order(5)
  void metricsCarryVerbAndResourceOfKubectlRequestsThroughApilb() throws Exception {
    assumeTrue(io.apilb.testing.ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: apilb
          cluster: {server: "https://127.0.0.1:%d", certificate-authority: "%s"}
        users:
        - name: u
          user: {token: test-token}
        contexts:
        - name: apilb
          context: {cluster: apilb, user: u, namespace: default}
        current-context: apilb
        """.formatted(apilb.listenerAddress().getPort(), dir.resolve("pki/ca.crt")));
    kubectl(kubeconfig, 0, "create", "configmap", "metered", "--from-literal=a=1");
    kubectl(kubeconfig, 0, "get", "configmap", "metered");
    kubectl(kubeconfig, 0, "get", "configmaps");
    kubectl(kubeconfig, 0, "patch", "configmap", "metered", "-p", "{\"data\":{\"a\":\"2\"}}");
    kubectl(kubeconfig, -1, "get", "configmaps", "--watch-only", "--request-timeout=2s");
    kubectl(kubeconfig, 0, "delete", "configmap", "metered");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String metrics = get("/metrics");
      for (String verb : List.of("CREATE", "GET", "LIST", "PATCH", "WATCH", "DELETE")) {
        assertThat(metrics).containsPattern("apilb_backend_api_requests_total\\{backend=\"[^\"]+\",code=\"[0-9]+\","
            + "group=\"\",resource=\"configmaps\",subresource=\"\",verb=\"" + verb + "\"\\} [1-9]");
      }
      assertThat(metrics).contains("apilb_backend_api_request_duration_seconds_bucket{backend=")
          .contains("verb_class=\"long_running\"").contains("apilb_lease_renew_age_seconds{lease=\"kube-scheduler\"");
    });
  }

  @Test
  @Order(6)
  void aDiscoveryThatFindsNothingKeepsTheLastGoodSet() throws Exception {
    assertThat(cluster.deleteObject("discovery.k8s.io", "endpointslices", "default", "kubernetes")).isTrue();
    assertThat(cluster.deleteObject("", "endpoints", "default", "kubernetes")).isTrue();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        json.readTree(get("/status")).at("/discovery/message").asText()).contains("keeping the last good set of 3"));
    Thread.sleep(DISCOVERY_INTERVAL.multipliedBy(3).toMillis());
    assertThat(readyNames()).hasSize(3);
    assertThat(get("/")).contains("keeping the last good set of 3");
  }

  private static void kubectl(Path kubeconfig, int expectedExit, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(io.apilb.testing.ControlPlaneFixture.kubectlBinary(),
        "--kubeconfig=" + kubeconfig, "--cache-dir=" + dir.resolve("kube-cache")));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("KUBECONFIG");
    pb.environment().put("HOME", dir.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    if (expectedExit >= 0) {
      assertThat(p.exitValue()).as("kubectl %s: %s", String.join(" ", args), out).isEqualTo(expectedExit);
    }
  }

  private static List<String> readyNames() {
    return apilb.backends().snapshot().ready().stream().map(BackendEntry::name).toList();
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + apilb.adminAddress().getPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  /** Apiserver {@code i} on 127.0.0.i, publishing itself in default/kubernetes. */
  private static SimulatedApiserver apiserver(int i, String version) {
    Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("kube-apiserver", List.of("localhost"),
        List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"), Duration.ofDays(1)));
    return SimulatedApiserver.builder("cp" + i, cluster).keyMaterial(cert.keyMaterial())
        .bindAddress("127.0.0." + i).port(port).eventLoopThreads(1).gitVersion(version).advertise(true)
        .authentication(FrontProxyAuth.kubeadm(frontProxyCa.certificate(), ca.certificate()))
        .build().start();
  }

  /** A port free on 127.0.0.1 to 127.0.0.n: kube-apiservers of one cluster share the secure port. */
  private static int portFreeOnLoopbacks(int n) throws Exception {
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        candidate = s.getLocalPort();
      }
      boolean free = true;
      for (int i = 2; i <= n && free; i++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0." + i, candidate));
        } catch (java.io.IOException e) {
          free = false;
        }
      }
      if (free) {
        return candidate;
      }
    }
    throw new IllegalStateException("no port free on 127.0.0.1-" + n);
  }
}
