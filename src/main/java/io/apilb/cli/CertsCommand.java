package io.apilb.cli;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.KeyType;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.tls.PemFiles;
import io.apilb.tls.TlsContexts.KeyMaterial;
import io.apilb.tls.TlsMaterialException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code apilb certs}: issues apilb's own certificates from a kubeadm PKI directory. Keys are
 * written with mode 0600, and existing files are kept unless {@code --force} is given.
 */
@Command(name = "certs", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Issue apilb's certificates from the cluster's kubeadm PKI.",
    subcommands = {CertsCommand.Serving.class, CertsCommand.FrontProxyClient.class})
final class CertsCommand implements Runnable {
  @Option(names = "--pki-dir", defaultValue = "/etc/kubernetes/pki",
      description = "kubeadm certificate directory with the CAs (default: ${DEFAULT-VALUE})")
  Path pkiDir;

  @Option(names = "--days", defaultValue = "365", description = "validity in days (default: ${DEFAULT-VALUE})")
  int days;

  @Option(names = "--key-type", defaultValue = "rsa",
      description = "rsa (RSA 2048, as kubeadm) or ec (P-256) (default: ${DEFAULT-VALUE})")
  String keyType;

  @Option(names = "--force", description = "overwrite existing certificate and key files")
  boolean force;

  PrintStream out = System.out;

  @Override
  public void run() {
    out.println("usage: apilb certs serving | front-proxy-client (see --help)");
  }

  /** {@code apilb certs serving}: apilb's listener certificate, signed by the cluster CA. */
  @Command(name = "serving", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Issue apilb's serving certificate, signed by the cluster CA (ca.crt/ca.key).")
  static final class Serving implements Callable<Integer> {
    @ParentCommand CertsCommand certs;

    @Option(names = "--cn", defaultValue = "apilb", description = "subject CN (default: ${DEFAULT-VALUE})")
    String cn;

    @Option(names = "--san", paramLabel = "NAME|IP", split = ",",
        description = "subject alternative names (repeatable or comma-separated); default: the host name and "
            + "its addresses, localhost and 127.0.0.1. Include the kubeconfig server name and the "
            + "controlPlaneEndpoint.")
    List<String> sans = new ArrayList<>();

    @Option(names = "--cert", defaultValue = "apilb.crt", description = "certificate to write (default: ${DEFAULT-VALUE})")
    Path certFile;

    @Option(names = "--key", defaultValue = "apilb.key", description = "key to write (default: ${DEFAULT-VALUE})")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
      List<String> names = sans.isEmpty() ? defaultSans() : sans;
      List<String> dns = new ArrayList<>();
      List<String> ips = new ArrayList<>();
      for (String n : names) {
        (isIpLiteral(n) ? ips : dns).add(n.trim());
      }
      LeafSpec spec = LeafSpec.server(cn, dns, ips, Duration.ofDays(certs.days)).withKeyType(certs.type());
      Issued issued = certs.issue("ca", spec, certFile, keyFile);
      if (issued == null) {
        return 2;
      }
      certs.out.println("wrote " + certFile + " and " + keyFile + " (CN " + cn + ", SANs " + String.join(", ", names)
          + ", signed by " + certs.pkiDir.resolve("ca.crt") + ")");
      certs.out.println("configure:  apilb.listener.tls { cert-file = \"" + certFile.toAbsolutePath()
          + "\", key-file = \"" + keyFile.toAbsolutePath() + "\" }");
      return 0;
    }
  }

  /** {@code apilb certs front-proxy-client}: a dedicated front-proxy client certificate. */
  @Command(name = "front-proxy-client", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
      description = "Issue a front-proxy client certificate for apilb from front-proxy-ca.crt/.key.")
  static final class FrontProxyClient implements Callable<Integer> {
    @ParentCommand CertsCommand certs;

    @Option(names = "--cn", defaultValue = "apilb-front-proxy",
        description = "subject CN; add it to --requestheader-allowed-names (default: ${DEFAULT-VALUE})")
    String cn;

    @Option(names = "--allowed-names", defaultValue = "front-proxy-client", split = ",",
        description = "the apiservers' current --requestheader-allowed-names (default: ${DEFAULT-VALUE}, kubeadm's)")
    List<String> allowedNames;

    @Option(names = "--cert", defaultValue = "apilb-front-proxy-client.crt",
        description = "certificate to write (default: ${DEFAULT-VALUE})")
    Path certFile;

    @Option(names = "--key", defaultValue = "apilb-front-proxy-client.key",
        description = "key to write (default: ${DEFAULT-VALUE})")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
      LeafSpec spec = LeafSpec.client(cn, List.of(), Duration.ofDays(certs.days)).withKeyType(certs.type());
      Issued issued = certs.issue("front-proxy-ca", spec, certFile, keyFile);
      if (issued == null) {
        return 2;
      }
      Set<String> allowed = new LinkedHashSet<>(allowedNames);
      allowed.add(cn);
      certs.out.println("wrote " + certFile + " and " + keyFile + " (CN " + cn + ", signed by "
          + certs.pkiDir.resolve("front-proxy-ca.crt") + ")");
      certs.out.println("on every kube-apiserver set:  --requestheader-allowed-names=" + String.join(",", allowed));
      certs.out.println("configure:  apilb.backend-tls { proxy-client-cert-file = \"" + certFile.toAbsolutePath()
          + "\", proxy-client-key-file = \"" + keyFile.toAbsolutePath() + "\" }");
      return 0;
    }
  }

  KeyType type() {
    return switch (keyType.toLowerCase(java.util.Locale.ROOT)) {
      case "rsa" -> KeyType.RSA_2048;
      case "ec" -> KeyType.EC_P256;
      default -> throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--key-type must be rsa or ec (got " + keyType + ")");
    };
  }

  /** Issues {@code spec} from {@code <pki-dir>/<caName>.crt/.key}; null (after a message) on refusal. */
  Issued issue(String caName, LeafSpec spec, Path certFile, Path keyFile) throws IOException {
    for (Path f : List.of(certFile, keyFile)) {
      if (Files.exists(f) && !force) {
        System.err.println(f + " already exists; use --force to overwrite it");
        return null;
      }
    }
    Path caCert = pkiDir.resolve(caName + ".crt");
    Path caKey = pkiDir.resolve(caName + ".key");
    KeyMaterial ca;
    try {
      ca = KeyMaterial.load(caCert, caKey);
    } catch (TlsMaterialException e) {
      System.err.println("cannot use the CA: " + e.getMessage());
      return null;
    }
    Issued caIssued = new Issued(ca.chain().get(0), new KeyPair(ca.chain().get(0).getPublicKey(), ca.key()));
    Issued issued = CertificateIssuer.issue(caIssued, spec);
    PemFiles.writePrivateKey(keyFile, issued.privateKey());
    PemFiles.writeCertificates(certFile, issued.certificate());
    return issued;
  }

  static List<String> defaultSans() {
    Set<String> names = new LinkedHashSet<>();
    try {
      InetAddress local = InetAddress.getLocalHost();
      String host = local.getHostName();
      names.add(host);
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          names.add(a.getHostAddress());
        }
      }
    } catch (UnknownHostException ignored) {
      // no resolvable host name: loopback names only
    }
    names.add("localhost");
    names.add("127.0.0.1");
    return List.copyOf(names);
  }

  private static boolean isIpLiteral(String s) {
    String t = s.trim();
    return t.matches("[0-9.]+") || (t.contains(":") && t.matches("[0-9a-fA-F:.]+"));
  }
}
