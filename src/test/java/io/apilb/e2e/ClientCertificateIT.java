package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.sim.FrontProxyAuth;
import io.apilb.sim.RecordedRequest;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import io.apilb.testing.ForcedClientCertificate;
import io.apilb.testing.ControlPlaneFixture.ProcessResult;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.FileReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Client certificates through apilb against simulated apiservers that apply kube-apiserver's
 * front-proxy rules (they trust X-Remote-* only from a front-proxy-ca certificate with CN
 * front-proxy-client). apilb is configured like a kubeadm control-plane node: pki-dir only.
 */
class ClientCertificateIT {
  static ControlPlaneFixture cp;
  static Issued alice;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.startWithClientCertificates(2, "");
    alice = cp.issueClient("alice", "dev", "ops");
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @BeforeEach
  void clear() {
    cp.backends.forEach(SimulatedApiserver::clearRequests);
  }

  @ParameterizedTest
  @EnumSource(HttpClient.Version.class)
  void certificateIdentityReachesTheBackendOnAFrontProxyConnection(HttpClient.Version version) throws Exception {
    HttpResponse<String> r = send(cp.httpClient(version, alice), "/api/v1/namespaces/default/configmaps?v=" + version,
        Map.of());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().contains("v=" + version));
    assertThat(seen.headers("X-Remote-User")).containsExactly("alice");
    assertThat(seen.headers("X-Remote-Group")).containsExactly("dev", "ops");
    assertThat(seen.headerNamesStartingWith("X-Remote-")).hasSize(3);
    assertThat(seen.header("Authorization")).isEmpty();
    assertThat(cnOf(seen.clientCertificate().orElseThrow())).isEqualTo("front-proxy-client");
    FrontProxyAuth.User user = seen.user().orElseThrow();
    assertThat(user.name()).isEqualTo("alice");
    assertThat(user.groups()).containsExactly("dev", "ops");
    assertThat(user.method()).isEqualTo(FrontProxyAuth.Method.REQUEST_HEADER);
  }

  @Test
  void aValidCertificateWinsOverATokenWhoseHeaderIsDropped() throws Exception {
    HttpResponse<String> r = send(cp.httpClient(HttpClient.Version.HTTP_2, alice), "/api/v1/namespaces?both",
        Map.of("Authorization", "Bearer test-token"));

    assertThat(r.statusCode()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().endsWith("?both"));
    assertThat(seen.header("Authorization")).isEmpty();
    assertThat(seen.user().orElseThrow().name()).isEqualTo("alice");
  }

  @ParameterizedTest
  @EnumSource(HttpClient.Version.class)
  void clientSuppliedIdentityHeadersNeverReachABackend(HttpClient.Version version) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cp.uri("/api/v1/namespaces?spoof=" + version))
        .timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer test-token")
        .header("X-Remote-User", "system:admin")
        .header("x-remote-user", "root")
        .header("X-REMOTE-GROUP", "system:masters")
        .header("X-Remote-Uid", "0")
        .header("X-Remote-Extra-Scopes", "all")
        .header("x-remote-extra-acme.com%2Fproject", "p");
    HttpResponse<String> r = cp.httpClient(version).send(b.build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().endsWith("spoof=" + version));
    assertThat(seen.headerNamesStartingWith("X-Remote")).isEmpty();
    assertThat(seen.header("Authorization")).contains("Bearer test-token");
    assertThat(seen.clientCertificate()).isEmpty();
    assertThat(seen.user().orElseThrow().name()).isEqualTo("token:test-token");
  }

  @Test
  void clientSuppliedIdentityHeadersNeverReachABackendOnAnUpgrade() throws Exception {
    List<CharSequence> messages = new CopyOnWriteArrayList<>();
    WebSocket ws = cp.httpClient(HttpClient.Version.HTTP_1_1).newWebSocketBuilder()
        .header("Authorization", "Bearer test-token")
        .header("X-Remote-User", "system:admin")
        .header("X-Remote-Group", "system:masters")
        .header("X-rEmOtE-eXtRa-scopes", "all")
        .buildAsync(URI.create("wss://127.0.0.1:" + cp.port() + "/api/v1/namespaces/default/configmaps?watch=true&ws=1"),
            new WebSocket.Listener() {
              @Override
              public java.util.concurrent.CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                messages.add(data);
                w.request(1);
                return null;
              }
            })
        .get(15, TimeUnit.SECONDS);
    try {
      RecordedRequest seen = recorded(q -> q.uri().contains("ws=1"));
      assertThat(seen.header("Upgrade")).hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("websocket"));
      assertThat(seen.headerNamesStartingWith("X-Remote")).isEmpty();
      assertThat(seen.user().orElseThrow().name()).isEqualTo("token:test-token");
    } finally {
      ws.abort();
    }
  }

  @Test
  void aBearerTokenArrivesUnchangedOnAConnectionWithoutAClientCertificate() throws Exception {
    HttpResponse<String> r = cp.get(cp.httpClient(HttpClient.Version.HTTP_2), "/api/v1/namespaces?token");

    assertThat(r.statusCode()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().endsWith("?token"));
    assertThat(seen.header("Authorization")).contains("Bearer test-token");
    assertThat(seen.headerNamesStartingWith("X-Remote")).isEmpty();
    assertThat(seen.clientCertificate()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(HttpClient.Version.class)
  void anonymousVersionAndReadyzSucceedWithoutAClientCertificate(HttpClient.Version version) throws Exception {
    HttpClient client = cp.httpClient(version);
    for (String path : List.of("/version?anon", "/readyz?anon")) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(cp.uri(path)).timeout(Duration.ofSeconds(15)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
      RecordedRequest seen = recorded(q -> q.uri().equals(path));
      assertThat(seen.clientCertificate()).as(path).isEmpty();
      assertThat(seen.user().orElseThrow().method()).isEqualTo(FrontProxyAuth.Method.ANONYMOUS);
      clear();
    }
  }

  @Test
  void impersonationHeadersPassUnchanged() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(cp.uri("/api/v1/namespaces?imp")).timeout(Duration.ofSeconds(15))
        .header("Impersonate-User", "bob")
        .header("Impersonate-Group", "g1")
        .header("Impersonate-Group", "g2")
        .header("Impersonate-Extra-Acme.com%2Fproject", "p1")
        .build();
    HttpResponse<String> r = cp.httpClient(HttpClient.Version.HTTP_1_1, alice).send(req, HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().endsWith("?imp"));
    assertThat(seen.headers("Impersonate-User")).containsExactly("bob");
    assertThat(seen.headers("Impersonate-Group")).containsExactly("g1", "g2");
    assertThat(seen.headers("Impersonate-Extra-Acme.com%2Fproject")).containsExactly("p1");
    assertThat(seen.headers("X-Remote-User")).containsExactly("alice");
  }

  @Test
  void rejectedCertificatesGet401StatusJsonAndNeverReachABackend() throws Exception {
    Issued otherCa = CertificateIssuer.selfSignedCa("someone-elses-ca", Duration.ofDays(1));
    Issued unknown = CertificateIssuer.issue(otherCa, LeafSpec.client("mallory", List.of("system:masters"), Duration.ofDays(1)));
    Instant past = Instant.now().minus(Duration.ofDays(3));
    Issued expired = CertificateIssuer.issue(cp.ca, LeafSpec.client("alice", List.of("dev"), Duration.ofDays(1))
        .withValidity(past, past.plus(Duration.ofDays(1))));
    Issued serverOnly = CertificateIssuer.issue(cp.ca, LeafSpec.client("alice", List.of(), Duration.ofDays(1))
        .withUsages(true, false));
    for (Issued bad : List.of(unknown, expired, serverOnly)) {
      for (HttpClient.Version v : HttpClient.Version.values()) {
        HttpResponse<String> r = forcedCertClient(v, bad).send(HttpRequest.newBuilder(cp.uri("/api/v1/namespaces?bad"))
            .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(cnOf(bad.certificate()) + " " + v).isEqualTo(401);
        assertThat(r.body()).contains("\"kind\":\"Status\"", "\"reason\":\"Unauthorized\"", "\"code\":401");
        assertThat(r.headers().firstValue("content-type")).contains("application/json");
      }
    }
    assertThat(cp.backends.stream().mapToInt(b -> b.requestCount(q -> q.uri().endsWith("?bad"))).sum()).isZero();
    assertThat(cp.apilb.metrics().registry().counter("apilb.proxy.failures.client_certificate_rejected").getCount())
        .isGreaterThanOrEqualTo(6);

    // with a token, a rejected certificate is ignored and the token alone goes through
    HttpResponse<String> r = forcedCertClient(HttpClient.Version.HTTP_2, unknown).send(
        HttpRequest.newBuilder(cp.uri("/api/v1/namespaces?badtoken")).header("Authorization", "Bearer test-token")
            .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    RecordedRequest seen = recorded(q -> q.uri().endsWith("?badtoken"));
    assertThat(seen.headerNamesStartingWith("X-Remote")).isEmpty();
    assertThat(seen.clientCertificate()).isEmpty();
    assertThat(seen.user().orElseThrow().name()).isEqualTo("token:test-token");
  }

  @Test
  void kubectlWithAClientCertificateKubeconfigAndImpersonation() throws Exception {
    assumeTrue(ControlPlaneFixture.kubectlAvailable(), "kubectl is not installed");
    Path kubeconfig = cp.dir.resolve("alice.kubeconfig");
    cp.writeCertKubeconfig(kubeconfig, alice);
    cp.cluster.createConfigMap("default", "kubectl-cert", Map.of("a", "b"));

    ProcessResult get = cp.kubectlWith(kubeconfig, "get", "configmaps");
    assertThat(get.ok()).as(get.stderr()).isTrue();
    assertThat(get.stdout()).contains("kubectl-cert");
    RecordedRequest seen = recorded(q -> q.path().endsWith("/configmaps"));
    assertThat(seen.headers("X-Remote-User")).containsExactly("alice");
    assertThat(seen.headers("X-Remote-Group")).containsExactly("dev", "ops");
    assertThat(cnOf(seen.clientCertificate().orElseThrow())).isEqualTo("front-proxy-client");

    clear();
    ProcessResult as = cp.kubectlWith(kubeconfig, "get", "configmaps", "--as=bob", "--as-group=g1", "--as-group=g2");
    assertThat(as.ok()).as(as.stderr()).isTrue();
    RecordedRequest imp = recorded(q -> q.path().endsWith("/configmaps"));
    assertThat(imp.headers("Impersonate-User")).containsExactly("bob");
    assertThat(imp.headers("Impersonate-Group")).containsExactly("g1", "g2");
    assertThat(imp.headers("X-Remote-User")).containsExactly("alice");
  }

  @Test
  void fabric8AndTheOfficialJavaClientWithClientCertificateKubeconfigs() throws Exception {
    Path kubeconfig = cp.dir.resolve("java.kubeconfig");
    cp.writeCertKubeconfig(kubeconfig, alice);
    cp.cluster.createConfigMap("default", "java-cert", Map.of("a", "b"));

    try (KubernetesClient f8 = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build()) {
      assertThat(f8.configMaps().inNamespace("default").list().getItems())
          .extracting(cm -> cm.getMetadata().getName()).contains("java-cert");
    }
    assertThat(recorded(q -> q.path().endsWith("/configmaps")).user().orElseThrow().name()).isEqualTo("alice");

    clear();
    ApiClient api = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(new FileReader(kubeconfig.toFile()))).build();
    assertThat(new CoreV1Api(api).listNamespacedConfigMap("default").execute().getItems())
        .extracting(cm -> cm.getMetadata().getName()).contains("java-cert");
    assertThat(recorded(q -> q.path().endsWith("/configmaps")).user().orElseThrow().name()).isEqualTo("alice");
  }

  @Test
  void rotatingServingAndFrontProxyCertificatesKeepsAnOpenWatch() throws Exception {
    HttpClient watcher = cp.httpClient(HttpClient.Version.HTTP_2, alice);
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<HttpResponse<Stream<String>>> watch = watcher.sendAsync(
        HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps?watch=true&rot=1")).build(),
        HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> response = watch.get(15, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    Thread reader = new Thread(() -> response.body().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();
    cp.cluster.createConfigMap("default", "before-rotation", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().anyMatch(l -> l.contains("before-rotation")));

    Issued serving = cp.rotateServing();
    Issued frontProxy = cp.rotateFrontProxyClient();
    cp.apilb.reloadCertificates().get(10, TimeUnit.SECONDS);

    cp.cluster.createConfigMap("default", "after-rotation", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().anyMatch(l -> l.contains("after-rotation")));
    assertThat(response.body()).isNotNull();

    HttpResponse<String> fresh = send(cp.httpClient(HttpClient.Version.HTTP_1_1, alice), "/api/v1/namespaces?fresh", Map.of());
    assertThat(fresh.statusCode()).isEqualTo(200);
    X509Certificate presented = (X509Certificate) fresh.sslSession().orElseThrow().getPeerCertificates()[0];
    assertThat(presented.getSerialNumber()).isEqualTo(serving.certificate().getSerialNumber());
    RecordedRequest seen = recorded(q -> q.uri().endsWith("?fresh"));
    assertThat(seen.clientCertificate().orElseThrow().getSerialNumber())
        .isEqualTo(frontProxy.certificate().getSerialNumber());
    assertThat(seen.user().orElseThrow().name()).isEqualTo("alice");

    // a broken file is not loaded: the old material stays and the failure is counted
    Files.writeString(cp.pki.resolve("front-proxy-client.crt"), "not a certificate\n");
    cp.apilb.reloadCertificates().get(10, TimeUnit.SECONDS);
    assertThat(cp.apilb.metrics().certificateReloadFailures("front_proxy_client")).isPositive();
    assertThat(send(cp.httpClient(HttpClient.Version.HTTP_2, alice), "/api/v1/namespaces?afterbad", Map.of())
        .statusCode()).isEqualTo(200);
    cp.rotateFrontProxyClient();
    cp.apilb.reloadCertificates().get(10, TimeUnit.SECONDS);
    cp.cluster.createConfigMap("default", "after-repair", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().anyMatch(l -> l.contains("after-repair")));
  }

  // ------------------------------------------------------------------------------------------

  private static HttpResponse<String> send(HttpClient client, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cp.uri(path)).timeout(Duration.ofSeconds(15));
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static RecordedRequest recorded(Predicate<RecordedRequest> p) {
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.backends.stream().anyMatch(b -> b.requestCount(p) > 0));
    return cp.backends.stream().flatMap(b -> b.requests().stream()).filter(p).reduce((a, b) -> b).orElseThrow();
  }

  static String cnOf(X509Certificate c) {
    String dn = c.getSubjectX500Principal().getName();
    for (String part : dn.split(",")) {
      if (part.startsWith("CN=")) {
        return part.substring(3);
      }
    }
    return "";
  }

  /** A client that presents {@code cert} whatever CAs the server asks for (a JSSE key manager would not). */
  private static HttpClient forcedCertClient(HttpClient.Version v, Issued cert) throws Exception {
    SSLContext ctx = ForcedClientCertificate.sslContext(cp.ca.certificate(), cert, issuer -> { });
    return HttpClient.newBuilder().version(v).sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

}
