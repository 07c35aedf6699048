package io.apilb.e2e;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.tls.PemFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** kubeadm's PKI files for apilb's {@code pki-dir}: ca.crt, front-proxy-ca.crt, front-proxy-client.crt/.key. */
final class KubeadmPki {
  private KubeadmPki() {}

  static void write(Path pki, Issued ca, Issued frontProxyCa) throws IOException {
    Files.createDirectories(pki);
    PemFiles.writeCertificates(pki.resolve("ca.crt"), ca.certificate());
    PemFiles.writeCertificates(pki.resolve("front-proxy-ca.crt"), frontProxyCa.certificate());
    Issued fp = CertificateIssuer.issue(frontProxyCa, LeafSpec.client("front-proxy-client", List.of(),
        Duration.ofDays(1)).withKeyType(CertificateIssuer.KeyType.RSA_2048));
    PemFiles.writeCertificates(pki.resolve("front-proxy-client.crt"), fp.certificate());
    Files.writeString(pki.resolve("front-proxy-client.key"), PemFiles.toTraditionalPem(fp.privateKey()));
  }
}
