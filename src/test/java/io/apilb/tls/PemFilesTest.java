package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.KeyType;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.tls.TlsContexts.KeyMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** kubeadm-layout PEM files of every key type load; mismatches and missing files are named. */
class PemFilesTest {
  static final Issued CA = CertificateIssuer.selfSignedCa("pem-test-ca", Duration.ofDays(1));

  @TempDir Path dir;

  enum Form { PKCS1_OR_SEC1, PKCS8, ENCRYPTED_PKCS8 }

  @ParameterizedTest
  @EnumSource(Form.class)
  void loadsRsaAndEcKeysInEveryForm(Form form) throws Exception {
    for (KeyType type : KeyType.values()) {
      Issued leaf = CertificateIssuer.issue(CA, LeafSpec.client("u", List.of(), Duration.ofDays(1)).withKeyType(type));
      Path cert = dir.resolve(type + ".crt");
      Path key = dir.resolve(type + "-" + form + ".key");
      PemFiles.writeCertificates(cert, leaf.certificate(), CA.certificate());
      Optional<Path> pass = Optional.empty();
      switch (form) {
        case PKCS1_OR_SEC1 -> {
          String pem = PemFiles.toTraditionalPem(leaf.privateKey());
          assertThat(pem).startsWith(type == KeyType.RSA_2048 ? "-----BEGIN RSA PRIVATE KEY-----"
              : "-----BEGIN EC PRIVATE KEY-----");
          Files.writeString(key, pem);
        }
        case PKCS8 -> Files.writeString(key, PemFiles.toPem(leaf.privateKey()));
        case ENCRYPTED_PKCS8 -> {
          Files.writeString(key, PemFiles.toEncryptedPem(leaf.privateKey(), "s3cret".toCharArray()));
          pass = Optional.of(Files.writeString(dir.resolve("pass"), "s3cret\n"));
        }
      }

      KeyMaterial km = KeyMaterial.load(cert, key, pass);

      assertThat(km.chain()).containsExactly(leaf.certificate(), CA.certificate());
      assertThat(KeyMatch.matches(leaf.certificate().getPublicKey(), km.key())).isTrue();
    }
  }

  @Test
  void anEncryptedKeyWithoutAPassphraseFileIsAnErrorNamingTheFile() throws Exception {
    Issued leaf = CertificateIssuer.issue(CA, LeafSpec.client("u", List.of(), Duration.ofDays(1)));
    Path key = Files.writeString(dir.resolve("enc.key"), PemFiles.toEncryptedPem(leaf.privateKey(), "x".toCharArray()));

    assertThatThrownBy(() -> PemFiles.readPrivateKey(key, Optional.empty()))
        .hasMessageContaining(key.toString()).hasMessageContaining("encrypted");
  }

  @Test
  void readsACaBundleInOrder() throws Exception {
    Issued other = CertificateIssuer.selfSignedCa("other-ca", Duration.ofDays(1));
    Path bundle = dir.resolve("bundle.crt");
    PemFiles.writeCertificates(bundle, CA.certificate(), other.certificate());

    assertThat(PemFiles.readCertificates(bundle)).containsExactly(CA.certificate(), other.certificate());
  }

  @Test
  void aKeyThatDoesNotMatchItsCertificateNamesBothFiles() throws Exception {
    Issued a = CertificateIssuer.issue(CA, LeafSpec.client("a", List.of(), Duration.ofDays(1)));
    Issued b = CertificateIssuer.issue(CA, LeafSpec.client("b", List.of(), Duration.ofDays(1)));
    Path cert = dir.resolve("a.crt");
    Path key = dir.resolve("b.key");
    PemFiles.writeCertificates(cert, a.certificate());
    PemFiles.writePrivateKey(key, b.privateKey());

    assertThatThrownBy(() -> KeyMaterial.load(cert, key))
        .isInstanceOf(TlsMaterialException.class)
        .hasMessageContaining(cert.toString()).hasMessageContaining(key.toString()).hasMessageContaining("does not match");
  }

  @Test
  void missingFilesAreNamed() {
    Path missing = dir.resolve("front-proxy-client.crt");

    assertThatThrownBy(() -> PemFiles.readCertificates(missing))
        .hasMessage("cannot read certificates from " + missing + ": no such file");
    assertThatThrownBy(() -> PemFiles.readPrivateKey(dir.resolve("k.key"), Optional.empty()))
        .hasMessageContaining(dir.resolve("k.key").toString());
  }

  @Test
  void writtenKeysAreOwnerOnly() throws Exception {
    Path key = dir.resolve("k.key");
    PemFiles.writePrivateKey(key, CA.privateKey());

    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
  }

  @Test
  void loadsKeysWrittenByOpenssl() throws Exception {
    assumeTrue(opensslAvailable(), "openssl is not installed");
    for (List<String> gen : List.of(
        List.of("openssl", "genrsa", "-traditional", "-out", "rsa1.key", "2048"),
        List.of("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key"),
        List.of("openssl", "genpkey", "-algorithm", "RSA", "-out", "rsa8.key"),
        List.of("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec8.key"),
        List.of("openssl", "genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:pw", "-out", "enc.key"))) {
      Process p = new ProcessBuilder(gen).directory(dir.toFile()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      assertThat(p.waitFor()).as(String.join(" ", gen)).isZero();
    }
    Path pass = Files.writeString(dir.resolve("pw"), "pw");
    for (String f : List.of("rsa1.key", "ec.key", "rsa8.key", "ec8.key")) {
      assertThat(PemFiles.readPrivateKey(dir.resolve(f), Optional.empty())).as(f).isNotNull();
    }
    assertThat(PemFiles.readPrivateKey(dir.resolve("enc.key"), Optional.of(PemFiles.readPassphrase(pass)))).isNotNull();
  }

  private static boolean opensslAvailable() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
