package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.tls.PemFiles;
import io.apilb.tls.TlsContexts.KeyMaterial;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertsCommandTest {
  @TempDir Path dir;
  Path pki;
  Issued ca;
  Issued frontProxyCa;

  @BeforeEach
  void kubeadmPki() throws Exception {
    pki = Files.createDirectories(dir.resolve("pki"));
    ca = CertificateIssuer.selfSignedCa("kubernetes", Duration.ofDays(10));
    frontProxyCa = CertificateIssuer.selfSignedCa("front-proxy-ca", Duration.ofDays(10));
    PemFiles.writeCertificates(pki.resolve("ca.crt"), ca.certificate());
    Files.writeString(pki.resolve("ca.key"), PemFiles.toTraditionalPem(ca.privateKey()));
    PemFiles.writeCertificates(pki.resolve("front-proxy-ca.crt"), frontProxyCa.certificate());
    Files.writeString(pki.resolve("front-proxy-ca.key"), PemFiles.toTraditionalPem(frontProxyCa.privateKey()));
  }

  private record Run(int code, String out) {}

  private Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int code = new CommandLine(new Main()).execute(args);
      return new Run(code, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void servingCertificateVerifiesWithTheClusterCaAndCarriesTheRequestedSans() throws Exception {
    Path crt = dir.resolve("apilb.crt");
    Path key = dir.resolve("apilb.key");

    Run r = run("certs", "--pki-dir", pki.toString(), "serving", "--san", "apilb.example.com,10.1.2.3",
        "--san", "fd00::1", "--cert", crt.toString(), "--key", key.toString());

    assertThat(r.code()).as(r.out()).isZero();
    X509Certificate cert = PemFiles.readCertificates(crt).get(0);
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectAlternativeNames()).extracting(san -> san.get(1).toString())
        .containsExactlyInAnyOrder("apilb.example.com", "10.1.2.3", "fd00:0:0:0:0:0:0:1");
    assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    KeyMaterial.load(crt, key); // the key matches
  }

  @Test
  void servingCertificateDefaultsToLocalNames() throws Exception {
    Path crt = dir.resolve("apilb.crt");

    Run r = run("certs", "--pki-dir", pki.toString(), "serving", "--cert", crt.toString(),
        "--key", dir.resolve("apilb.key").toString());

    assertThat(r.code()).isZero();
    assertThat(PemFiles.readCertificates(crt).get(0).getSubjectAlternativeNames())
        .extracting(san -> san.get(1).toString()).contains("localhost", "127.0.0.1");
  }

  @Test
  void existingFilesAreKeptWithoutForce() throws Exception {
    Path crt = dir.resolve("apilb.crt");
    Path key = dir.resolve("apilb.key");
    Files.writeString(key, "precious");

    Run refused = run("certs", "--pki-dir", pki.toString(), "serving", "--cert", crt.toString(), "--key", key.toString());

    assertThat(refused.code()).isEqualTo(2);
    assertThat(Files.readString(key)).isEqualTo("precious");
    assertThat(crt).doesNotExist();

    Run forced = run("certs", "--pki-dir", pki.toString(), "--force", "serving", "--cert", crt.toString(),
        "--key", key.toString());
    assertThat(forced.code()).isZero();
    assertThat(PemFiles.readPrivateKey(key, Optional.empty())).isNotNull();
  }

  @Test
  void frontProxyClientCertificateHasItsOwnCnAndPrintsTheAllowedNames() throws Exception {
    Path crt = dir.resolve("fp.crt");
    Path key = dir.resolve("fp.key");

    Run r = run("certs", "--pki-dir", pki.toString(), "--key-type", "ec", "front-proxy-client", "--cn", "apilb-lb",
        "--cert", crt.toString(), "--key", key.toString());

    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("--requestheader-allowed-names=front-proxy-client,apilb-lb");
    X509Certificate cert = PemFiles.readCertificates(crt).get(0);
    cert.verify(frontProxyCa.certificate().getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=apilb-lb");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(List.of(crt, key)).allMatch(Files::exists);
  }
}
