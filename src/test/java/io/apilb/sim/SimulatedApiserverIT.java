package io.apilb.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.pki.CertificateIssuer;
import io.apilb.tls.PemFiles;
import io.apilb.tls.TlsContexts;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two simulated apiservers sharing one cluster, driven directly by real kubectl, fabric8 and the
 * official Java client.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SimulatedApiserverIT {
  @TempDir static Path dir;

  static CertificateIssuer.Issued ca;
  static SimulatedCluster cluster;
  static SimulatedApiserver a;
  static SimulatedApiserver b;
  static Path kubeconfigA;
  static Path kubeconfigB;
  static Path kubeconfigCert;
  static final List<Process> processes = new CopyOnWriteArrayList<>();

  record Result(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  @BeforeAll
  static void startCluster() throws IOException {
    ca = CertificateIssuer.selfSignedCa("sim-ca", Duration.ofDays(1));
    TlsContexts.KeyMaterial km = CertificateIssuer.issue(ca,
        CertificateIssuer.LeafSpec.server("kube-apiserver", List.of("localhost"), List.of("127.0.0.1"),
            Duration.ofDays(1))).keyMaterial();
    cluster = new SimulatedCluster();
    a = SimulatedApiserver.builder("apiserver-a", cluster).keyMaterial(km)
        .clientCertificateAuthorities(List.of(ca.certificate())).build().start();
    b = SimulatedApiserver.builder("apiserver-b", cluster).keyMaterial(km).port(0).build().start();
    kubeconfigA = kubeconfig("a", a, "    token: demo-token\n");
    kubeconfigB = kubeconfig("b", b, "    token: demo-token\n");
    CertificateIssuer.Issued alice = CertificateIssuer.issue(ca,
        CertificateIssuer.LeafSpec.client("alice", List.of("devs"), Duration.ofDays(1)));
    kubeconfigCert = kubeconfig("cert", a,
        "    client-certificate-data: " + b64(PemFiles.toPem(alice.certificate())) + "\n"
            + "    client-key-data: " + b64(PemFiles.toPem(alice.privateKey())) + "\n");
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static Path kubeconfig(String id, SimulatedApiserver s, String user) throws IOException {
    String text = "apiVersion: v1\nkind: Config\n"
        + "clusters:\n- name: sim\n  cluster:\n    server: https://127.0.0.1:" + s.port() + "\n"
        + "    certificate-authority-data: " + b64(PemFiles.toPem(ca.certificate())) + "\n"
        + "users:\n- name: u\n  user:\n" + user
        + "contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: u\n    namespace: default\n"
        + "current-context: sim\n";
    Path p = dir.resolve("kubeconfig-" + id);
    Files.writeString(p, text);
    return p;
  }

  @AfterAll
  static void stopCluster() {
    processes.forEach(Process::destroyForcibly);
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  @AfterEach
  void resetFaults() {
    for (SimulatedApiserver s : List.of(a, b)) {
      s.resetFaults();
      if (!s.isListening()) {
        s.start();
      }
    }
  }

  private static ProcessBuilder kubectlProcess(Path kubeconfig, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig=" + kubeconfig,
        "--cache-dir=" + dir.resolve("kube-cache")));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECACHEDIR", dir.resolve("kube-cache").toString());
    pb.environment().put("HOME", dir.toString());
    pb.environment().remove("KUBECONFIG");
    return pb;
  }

  static Result kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--request-timeout=10s");
    Process p = kubectlProcess(kubeconfig, all).start();
    processes.add(p);
    try {
      p.getOutputStream().close();
      var out = p.getInputStream().readAllBytes();
      var err = p.getErrorStream().readAllBytes();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("kubectl %s finished", all).isTrue();
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
          new String(err, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      processes.remove(p);
    }
  }

  static Result ok(Path kubeconfig, String... args) throws Exception {
    Result r = kubectl(kubeconfig, args);
    assertThat(r.exit()).as("kubectl %s: %s", List.of(args), r.err()).isZero();
    return r;
  }

  @Test
  void versionAndReadyzToggling() throws Exception {
    assertThat(ok(kubeconfigA, "version", "-o", "json").out()).contains("\"gitVersion\": \"v1.33.0\"");
    String ready = ok(kubeconfigA, "get", "--raw=/readyz?verbose").out();
    assertThat(ready).startsWith("[+]ping ok\n[+]log ok\n[+]etcd ok\n").contains("[+]shutdown ok\n")
        .endsWith("readyz check passed\n");
    assertThat(ok(kubeconfigA, "get", "--raw=/readyz").out()).isEqualTo("ok");

    a.failReadyzChecks("etcd");
    Result failed = kubectl(kubeconfigA, "get", "--raw=/readyz?verbose");
    assertThat(failed.exit()).isNotZero();
    assertThat(failed.all()).contains("[-]etcd failed: reason withheld").contains("readyz check failed");
    assertThat(kubectl(kubeconfigA, "get", "--raw=/readyz/etcd").exit()).isNotZero();
    assertThat(ok(kubeconfigA, "get", "--raw=/readyz/shutdown").out()).isEqualTo("ok");
    assertThat(ok(kubeconfigB, "get", "--raw=/readyz").out()).isEqualTo("ok");

    a.failReadyzChecks();
    a.setReady(false);
    Result notReady = kubectl(kubeconfigA, "get", "--raw=/readyz?verbose");
    assertThat(notReady.all()).contains("[-]shutdown failed: reason withheld");
    assertThat(ok(kubeconfigA, "get", "--raw=/livez").out()).isEqualTo("ok");
    a.setReady(true);
    assertThat(ok(kubeconfigA, "get", "--raw=/readyz").out()).isEqualTo("ok");
  }

  @Test
  void crudAcrossApiserversWithKubectl() throws Exception {
    a.clearRequests();
    assertThat(ok(kubeconfigA, "create", "cm", "x", "--from-literal=a=b").out()).contains("configmap/x created");
    Result dup = kubectl(kubeconfigB, "create", "cm", "x", "--from-literal=a=b");
    assertThat(dup.exit()).isNotZero();
    assertThat(dup.err()).contains("configmaps \"x\" already exists");

    String table = ok(kubeconfigB, "get", "cm").out();
    assertThat(table.lines().findFirst().orElse("")).matches("NAME\\s+DATA\\s+AGE");
    assertThat(table).containsPattern("(?m)^x\\s+1\\s+\\d+s$");
    assertThat(ok(kubeconfigB, "get", "cm", "x", "-o", "jsonpath={.data.a}").out()).isEqualTo("b");
    assertThat(ok(kubeconfigB, "get", "cm", "-A").out()).containsPattern("(?m)^default\\s+x\\s+1\\s+");

    Path yaml = dir.resolve("applied.yaml");
    Files.writeString(yaml, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n"
        + "    app: demo\ndata:\n  one: \"1\"\n");
    assertThat(ok(kubeconfigA, "apply", "-f", yaml.toString()).out()).contains("configmap/applied created");
    Files.writeString(yaml, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n"
        + "    app: demo\ndata:\n  two: \"2\"\n");
    assertThat(ok(kubeconfigB, "apply", "-f", yaml.toString()).out()).contains("configmap/applied configured");
    assertThat(ok(kubeconfigA, "get", "cm", "applied", "-o", "jsonpath={.data}").out()).isEqualTo("{\"two\":\"2\"}");

    ok(kubeconfigA, "patch", "cm", "applied", "-p", "{\"data\":{\"three\":\"3\"}}");
    ok(kubeconfigB, "patch", "cm", "applied", "--type=json", "-p", "[{\"op\":\"remove\",\"path\":\"/data/two\"}]");
    ok(kubeconfigA, "patch", "cm", "applied", "--type=merge", "-p", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
    assertThat(ok(kubeconfigB, "get", "cm", "applied", "-o", "jsonpath={.data}").out())
        .isEqualTo("{\"three\":\"3\"}");
    assertThat(ok(kubeconfigB, "get", "cm", "-l", "x=y", "-o", "name").out().trim())
        .isEqualTo("configmap/applied");

    assertThat(ok(kubeconfigB, "delete", "cm", "x").out()).contains("configmap \"x\" deleted");
    assertThat(ok(kubeconfigB, "delete", "cm", "applied").out()).contains("deleted");
    Result gone = kubectl(kubeconfigA, "get", "cm", "x");
    assertThat(gone.exit()).isNotZero();
    assertThat(gone.err()).contains("NotFound").contains("configmaps \"x\" not found");

    // What the server saw.
    assertThat(a.requestCount(r -> r.method().equals("POST")
        && r.path().equals("/api/v1/namespaces/default/configmaps"))).isGreaterThanOrEqualTo(2);
    RecordedRequest post = a.requests().stream().filter(r -> r.method().equals("POST")).findFirst().orElseThrow();
    assertThat(post.header("Authorization")).contains("Bearer demo-token");
    assertThat(post.header("User-Agent")).hasValueSatisfying(ua -> assertThat(ua).startsWith("kubectl"));
    assertThat(post.headers().get(0).getKey()).isEqualTo("Host");
    assertThat(post.bodyBytes()).isPositive();
    assertThat(post.clientCertificate()).isEmpty();
  }

  @Test
  void kubectlWatchSeesWritesOnTheOtherApiserver() throws Exception {
    ok(kubeconfigA, "create", "namespace", "watchtest");
    ok(kubeconfigA, "create", "cm", "w0", "--from-literal=k=v", "-n", "watchtest");
    Process watch = kubectlProcess(kubeconfigA, List.of("get", "cm", "-w", "-n", "watchtest")).redirectErrorStream(true).start();
    processes.add(watch);
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          lines.add(l);
        }
      } catch (IOException ignored) {
        // process killed
      }
    }, "kubectl-watch-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      assertThat(lines.poll(10, TimeUnit.SECONDS)).matches("NAME\\s+DATA\\s+AGE");
      assertThat(lines.poll(10, TimeUnit.SECONDS)).matches("w0\\s+1\\s+\\d+s");
      await().atMost(Duration.ofSeconds(5)).until(() -> a.watchCount() == 1);

      ok(kubeconfigB, "create", "cm", "w1", "--from-literal=a=b", "-n", "watchtest");
      assertThat(lines.poll(5, TimeUnit.SECONDS)).matches("w1\\s+1\\s+\\d+s");
      ok(kubeconfigB, "patch", "cm", "w1", "-p", "{\"data\":{\"c\":\"d\"}}", "-n", "watchtest");
      assertThat(lines.poll(5, TimeUnit.SECONDS)).matches("w1\\s+2\\s+\\d+s");
      ok(kubeconfigB, "delete", "cm", "w1", "-n", "watchtest");
      assertThat(lines.poll(5, TimeUnit.SECONDS)).matches("w1\\s+2\\s+\\d+s");

      assertThat(a.requests()).anySatisfy(r -> {
        assertThat(r.uri()).contains("watch=true");
        assertThat(r.header("Accept")).hasValueSatisfying(h -> assertThat(h).contains("as=Table"));
      });
    } finally {
      watch.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      processes.remove(watch);
      ok(kubeconfigA, "delete", "cm", "w0", "-n", "watchtest");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> a.watchCount() == 0);
  }

  @Test
  void rawWatchReplaysAndEndsAtTimeout() throws Exception {
    cluster.createNamespace("rawwatch");
    long rv = cluster.createConfigMap("rawwatch", "r1", Map.of("a", "1")).path("metadata").path("resourceVersion")
        .asLong();
    cluster.createConfigMap("rawwatch", "r2", Map.of());
    String initial = ok(kubeconfigB, "get",
        "--raw=/api/v1/namespaces/rawwatch/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1").out();
    assertThat(initial.lines().toList()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{\"type\":\"ADDED\""));
    String resumed = ok(kubeconfigA, "get",
        "--raw=/api/v1/watch/namespaces/rawwatch/configmaps?resourceVersion=" + rv + "&timeoutSeconds=1").out();
    assertThat(resumed.lines().toList()).hasSize(1).first().asString().contains("\"name\":\"r2\"");
    RecordedRequest watch = a.requests().stream().filter(r -> r.uri().contains("/watch/")).findFirst().orElseThrow();
    assertThat(watch.header("Audit-Id")).isEmpty();
  }

  @Test
  void clientCertificateIsRecorded() throws Exception {
    a.clearRequests();
    ok(kubeconfigCert, "get", "cm");
    assertThat(a.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.clientCertificate())
        .hasValueSatisfying(c -> assertThat(c.getSubjectX500Principal().getName()).contains("CN=alice")));
  }

  @Test
  void fabric8CrudAndWatch() throws Exception {
    io.fabric8.kubernetes.client.Config cfg = io.fabric8.kubernetes.client.Config.fromKubeconfig(
        Files.readString(kubeconfigB));
    cfg.setRequestTimeout(10_000);
    try (KubernetesClient ka = new KubernetesClientBuilder().withConfig(io.fabric8.kubernetes.client.Config
            .fromKubeconfig(Files.readString(kubeconfigA))).build();
        KubernetesClient kb = new KubernetesClientBuilder().withConfig(cfg).build()) {
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      Watch w = kb.configMaps().inNamespace("default").watch(new Watcher<ConfigMap>() {
        @Override
        public void eventReceived(Action action, ConfigMap cm) {
          events.add(action + " " + cm.getMetadata().getName());
        }

        @Override
        public void onClose(WatcherException cause) {
          events.add("CLOSED");
        }
      });
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchCount() == 1);
        ka.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("f8")
            .endMetadata().addToData("k", "v").build()).create();
        assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("ADDED f8");
        ConfigMap got = kb.configMaps().inNamespace("default").withName("f8").get();
        assertThat(got.getData()).isEqualTo(Map.of("k", "v"));
        got.getData().put("k2", "v2");
        kb.configMaps().inNamespace("default").resource(got).update();
        assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("MODIFIED f8");
        ka.configMaps().inNamespace("default").withName("f8").edit(cm -> {
          cm.getData().put("k3", "v3");
          return cm;
        });
        assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("MODIFIED f8");
        assertThat(kb.configMaps().inNamespace("default").list().getItems())
            .anySatisfy(cm -> assertThat(cm.getData()).containsEntry("k3", "v3"));
        ka.configMaps().inNamespace("default").withName("f8").delete();
        assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("DELETED f8");
        assertThat(kb.configMaps().inNamespace("default").withName("f8").get()).isNull();
      } finally {
        w.close();
      }
    }
  }

  @Test
  void officialJavaClientLists() throws Exception {
    cluster.createConfigMap("kube-system", "official", Map.of("a", "1"));
    try {
      ApiClient client = io.kubernetes.client.util.Config.fromConfig(
          new StringReader(Files.readString(kubeconfigA)));
      V1ConfigMapList list = new CoreV1Api(client).listNamespacedConfigMap("kube-system").execute();
      assertThat(list.getItems()).extracting(cm -> cm.getMetadata().getName()).contains("official");
      assertThat(list.getMetadata().getResourceVersion()).isNotBlank();
    } finally {
      cluster.deleteConfigMap("kube-system", "official");
    }
  }

  @Test
  void faultsAreVisibleToKubectl() throws Exception {
    a.failRequests(500);
    Result failed = kubectl(kubeconfigA, "get", "cm");
    assertThat(failed.exit()).isNotZero();
    assertThat(failed.err()).contains("injected failure");
    assertThat(ok(kubeconfigA, "get", "--raw=/readyz").out()).isEqualTo("ok");
    a.failRequests(0);

    a.clearRequests();
    a.closeAfterRequestBody(true);
    Result dropped = kubectl(kubeconfigA, "create", "cm", "dropped", "--from-literal=a=b");
    assertThat(dropped.exit()).isNotZero();
    assertThat(a.requestCount(r -> r.method().equals("POST") && r.bodyBytes() > 0)).isGreaterThanOrEqualTo(1);
    assertThat(cluster.configMap("default", "dropped")).isEmpty();
    a.closeAfterRequestBody(false);

    a.refuseConnections(true);
    Result refused = kubectl(kubeconfigA, "get", "cm");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).containsPattern("connection refused|was refused");
    a.refuseConnections(false);
    ok(kubeconfigA, "get", "cm");

    a.stopAbruptly();
    assertThat(kubectl(kubeconfigA, "get", "cm").err()).containsPattern("connection refused|was refused");
    a.restart();
    ok(kubeconfigA, "get", "cm");

    a.delayResponses(Duration.ofMillis(300));
    long start = System.nanoTime();
    ok(kubeconfigA, "get", "--raw=/version");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

}
