package io.apilb.cli;

import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigLoader;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.sim.SimulatedCluster;
import io.apilb.tls.PemFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code apilb demo}: three simulated kube-apiservers sharing one in-memory cluster, apilb in
 * front of them, and a kubeconfig to point kubectl at. Everything runs in this process; the
 * certificates and files go to {@code --dir} (default {@code ~/.apilb/demo}, whatever the working
 * directory), and the ports are free ones unless given, so a local kube-apiserver on 6443 is no
 * obstacle.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Run apilb in front of three simulated kube-apiservers.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "${env:APILB_DEMO_DIR:-${sys:user.home}/.apilb/demo}",
      description = "where certificates, apilb.conf and the kubeconfig go; $APILB_DEMO_DIR, else ~/.apilb/demo "
          + "(default: ${DEFAULT-VALUE})")
  Path dir;

  // Free ports by default: 6443 and 9445 are a local kube-apiserver's and a running apilb's.
  @Option(names = "--port", defaultValue = "0",
      description = "apilb listener port on 127.0.0.1 (default: 0, any free port; printed at start)")
  int port;

  @Option(names = "--admin-port", defaultValue = "0",
      description = "admin port on 127.0.0.1 (default: 0, any free port; printed at start)")
  int adminPort;

  @Option(names = "--backends", defaultValue = "3", description = "number of simulated apiservers (default: ${DEFAULT-VALUE})")
  int backendCount;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dir);
    Path abs = dir.toAbsolutePath().normalize();
    Issued ca = CertificateIssuer.selfSignedCa("apilb-demo-ca", Duration.ofDays(30));
    writeApilbCertificate(abs, ca);

    SimulatedCluster cluster = new SimulatedCluster();
    cluster.createConfigMap("default", "welcome", Map.of("message", "served through apilb"));
    List<SimulatedApiserver> sims = startApiservers(ca, cluster);
    // the leaders a kubeadm control plane has, so the status page shows its Leases
    List<io.apilb.sim.LeaderElection> leaders = List.of(
        io.apilb.sim.LeaderElection.start(cluster, "kube-system", "kube-controller-manager", "cp1",
            Duration.ofSeconds(15), Duration.ofSeconds(2)),
        io.apilb.sim.LeaderElection.start(cluster, "kube-system", "kube-scheduler", "cp2",
            Duration.ofSeconds(15), Duration.ofSeconds(2)));
    Path conf = writeConfig(abs, sims);

    ApilbConfig config = ConfigLoader.load(conf);
    ApilbRuntime rt = ApilbRuntime.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      rt.close();
      leaders.forEach(io.apilb.sim.LeaderElection::close);
      sims.forEach(SimulatedApiserver::close);
    }, "apilb-demo-exit"));
    Signals.install(rt);

    int boundPort = rt.listenerAddress().getPort();
    Path kubeconfig = writeKubeconfig(abs, ca, boundPort);
    printWelcome(sims, boundPort, hostPort(rt.adminAddress()), kubeconfig);
    rt.awaitTermination();
    return 0;
  }

  /** The CA (clients trust it through the kubeconfig) and apilb's serving certificate. */
  private static void writeApilbCertificate(Path abs, Issued ca) throws IOException {
    PemFiles.writeCertificates(abs.resolve("ca.crt"), ca.certificate());
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb",
        CertificateIssuer.defaultDnsNames(), List.of("127.0.0.1", "::1"), Duration.ofDays(30)));
    PemFiles.writeCertificates(abs.resolve("apilb.crt"), serving.certificate());
    PemFiles.writePrivateKey(abs.resolve("apilb.key"), serving.privateKey());
  }

  private List<SimulatedApiserver> startApiservers(Issued ca, SimulatedCluster cluster) {
    List<SimulatedApiserver> sims = new ArrayList<>();
    for (int i = 1; i <= backendCount; i++) {
      Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("kube-apiserver",
          List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(30)));
      sims.add(SimulatedApiserver.builder("cp" + i, cluster)
          .keyMaterial(cert.keyMaterial()).bindAddress("127.0.0.1").port(0).build().start());
    }
    return sims;
  }

  private Path writeConfig(Path abs, List<SimulatedApiserver> sims) throws IOException {
    StringBuilder backends = new StringBuilder();
    for (SimulatedApiserver s : sims) {
      backends.append("    { name = \"").append(s.name()).append("\", address = \"127.0.0.1:")
          .append(s.port()).append("\" }\n");
    }
    Path conf = abs.resolve("apilb.conf");
    Files.writeString(conf, """
        # Written by `apilb demo`: apilb in front of simulated kube-apiservers on loopback.
        apilb {
          listener { address = "127.0.0.1", port = %d, tls { cert-file = "apilb.crt", key-file = "apilb.key", client-auth = none } }
          backends = [
        %s  ]
          backend-tls.ca-file = "ca.crt"
          health { interval = 1s, timeout = 500ms, rise = 2, fall = 2 }
          admin { address = "127.0.0.1", port = %d }
          shutdown { delay = 0s, drain-timeout = 5s }
        }
        """.formatted(port, backends, adminPort), StandardCharsets.UTF_8);
    return conf;
  }

  private static Path writeKubeconfig(Path abs, Issued ca, int boundPort) throws IOException {
    Path kubeconfig = abs.resolve("kubeconfig");
    String caData = Base64.getEncoder().encodeToString(
        PemFiles.toPem(ca.certificate()).getBytes(StandardCharsets.US_ASCII));
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: apilb-demo
          cluster:
            server: https://127.0.0.1:%d
            certificate-authority-data: %s
        users:
        - name: demo
          user:
            token: demo-token
        contexts:
        - name: apilb-demo
          context: {cluster: apilb-demo, user: demo, namespace: default}
        current-context: apilb-demo
        """.formatted(boundPort, caData), StandardCharsets.UTF_8);
    return kubeconfig;
  }

  private static void printWelcome(List<SimulatedApiserver> sims, int boundPort, String admin, Path kubeconfig) {
    System.out.printf("""

        apilb demo is running: %d simulated kube-apiservers behind https://127.0.0.1:%d
          backends: %s
          status:   http://%s/   (open it in a browser; /status is the JSON)
          admin:    http://%s/backends  /metrics  /readyz
          files:    %s (certificates, apilb.conf, kubeconfig)
          (free ports were chosen so as not to collide with a local kube-apiserver; --port and --admin-port fix them)

        Try, in another terminal:
          export KUBECONFIG=%s
          kubectl get configmaps
          kubectl create configmap hello --from-literal=greeting=hi
          kubectl get configmaps -w
          curl -s http://%s/backends

        Press Ctrl-C to stop.
        %n""", sims.size(), boundPort,
        String.join(", ", sims.stream().map(s -> s.name() + "=127.0.0.1:" + s.port()).toList()),
        admin, admin, kubeconfig.getParent(), kubeconfig, admin);
  }

  private static String hostPort(java.net.InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}
