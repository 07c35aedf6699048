package io.apilb.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads and writes the PEM files kubeadm writes: certificates, chains and CA bundles; PKCS#1 RSA,
 * SEC1 EC and PKCS#8 keys, encrypted PKCS#8 with a passphrase. The only Bouncy Castle user for
 * PEM. Blocking file I/O: call it from the control thread or start-up, never an event loop.
 */
public final class PemFiles {
  /**
   * Registers Bouncy Castle as a JCA provider, only where it may be needed: decrypting an encrypted
   * key (PBES2 and the OpenSSL PEM ciphers name algorithms the JDK's providers may lack). Plain
   * certificates and keys convert with the JDK's own providers, so a start without encrypted keys
   * does not load and initialise the provider's hundreds of classes (memory and start-up time).
   */
  private static void ensureBouncyCastleProvider() {
    if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
      Security.addProvider(new BouncyCastleProvider());
    }
  }

  private PemFiles() {}

  /** Every certificate in {@code file}, in order (leaf first for a chain). */
  public static List<X509Certificate> readCertificates(Path file) throws TlsMaterialException {
    List<X509Certificate> out = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException e) {
      throw new TlsMaterialException("cannot read certificates from " + file + ": " + describe(e), e);
    }
    if (out.isEmpty()) {
      throw new TlsMaterialException("no PEM certificate found in " + file);
    }
    return out;
  }

  /**
   * The private key in {@code file}: PKCS#1 ("RSA PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"), PKCS#8
   * ("PRIVATE KEY") or encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", needs {@code passphrase}).
   */
  public static PrivateKey readPrivateKey(Path file, Optional<char[]> passphrase) throws TlsMaterialException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
          char[] pass = passphrase.orElseThrow(() -> new TlsMaterialException(
              "private key in " + file + " is encrypted and no passphrase file is configured"));
          ensureBouncyCastleProvider();
          return converter.getPrivateKey(enc.decryptPrivateKeyInfo(
              new JceOpenSSLPKCS8DecryptorProviderBuilder().build(pass)));
        }
        if (o instanceof PEMEncryptedKeyPair enc) {
          char[] pass = passphrase.orElseThrow(() -> new TlsMaterialException(
              "private key in " + file + " is encrypted and no passphrase file is configured"));
          ensureBouncyCastleProvider();
          return converter.getPrivateKey(
              enc.decryptKeyPair(new JcePEMDecryptorProviderBuilder().build(pass)).getPrivateKeyInfo());
        }
      }
    } catch (PEMException | PKCSException | OperatorCreationException e) {
      throw new TlsMaterialException("cannot decode private key in " + file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new TlsMaterialException("cannot read private key " + file + ": " + describe(e), e);
    }
    throw new TlsMaterialException("no PEM private key found in " + file);
  }

  /** The passphrase in {@code file}: its first line, without the line end. */
  public static char[] readPassphrase(Path file) throws TlsMaterialException {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int end = text.indexOf('\n');
      String line = end < 0 ? text : text.substring(0, end);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        throw new TlsMaterialException("passphrase file " + file + " is empty");
      }
      return line.toCharArray();
    } catch (IOException e) {
      throw new TlsMaterialException("cannot read passphrase file " + file + ": " + describe(e), e);
    }
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage();
  }

  /** PEM text of certificates or keys (PKCS#8 for keys). */
  public static String toPem(Object... objects) {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      for (Object o : objects) {
        if (o instanceof PrivateKey key) {
          w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        } else {
          w.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return sw.toString();
  }

  /**
   * PEM text of a key in the traditional OpenSSL form kubeadm writes: PKCS#1
   * ({@code RSA PRIVATE KEY}) for RSA, SEC1 ({@code EC PRIVATE KEY}) for EC.
   */
  public static String toTraditionalPem(PrivateKey key) {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      if (key.getAlgorithm().startsWith("EC")) {
        // SEC1 with the curve named inside, as OpenSSL and kubeadm write it
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        org.bouncycastle.asn1.sec.ECPrivateKey inner =
            org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        int bits = ((java.security.interfaces.ECPrivateKey) key).getParams().getOrder().bitLength();
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
            bits, inner.getKey(), inner.getPublicKey(), info.getPrivateKeyAlgorithm().getParameters());
        w.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
      } else {
        w.writeObject(key);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return sw.toString();
  }

  /** PEM text of a key as encrypted PKCS#8 ({@code ENCRYPTED PRIVATE KEY}, AES-256-CBC). */
  public static String toEncryptedPem(PrivateKey key, char[] passphrase) {
    ensureBouncyCastleProvider();
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key,
          new org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder(
              org.bouncycastle.openssl.PKCS8Generator.AES_256_CBC).setPassword(passphrase).build()));
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
    return sw.toString();
  }

  /** Writes certificates to {@code file} (mode 0644 where POSIX). */
  public static void writeCertificates(Path file, X509Certificate... certs) throws IOException {
    Files.writeString(file, toPem((Object[]) certs), StandardCharsets.US_ASCII);
  }

  /** Writes a PKCS#8 key to {@code file}, created with mode 0600 where POSIX. */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, toPem(key), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
