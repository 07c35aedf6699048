package io.apilb.pki;

import io.apilb.tls.ClientCertificateVerifier;
import io.apilb.tls.TlsContexts.KeyMaterial;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues X.509 certificates with Bouncy Castle: CAs, apiserver-style serving certificates and
 * client certificates (CN = user, O = groups). Used by {@code apilb certs}, the demo and tests;
 * the running balancer only reads certificates (package {@code tls}).
 */
public final class CertificateIssuer {
  private static final SecureRandom RANDOM = new SecureRandom();

  static {
    if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
      Security.addProvider(new BouncyCastleProvider());
    }
  }

  /** Key algorithms kubeadm writes. */
  public enum KeyType { RSA_2048, EC_P256 }

  /** A certificate with its key pair. */
  public record Issued(X509Certificate certificate, KeyPair keyPair) {
    public PrivateKey privateKey() {
      return keyPair.getPrivate();
    }

    /** The certificate and its key as TLS contexts take them. */
    public KeyMaterial keyMaterial() {
      return new KeyMaterial(List.of(certificate), privateKey());
    }
  }

  /** What to put into a leaf certificate. */
  public record LeafSpec(
      String commonName,
      List<String> organizations,
      List<String> dnsNames,
      List<String> ipAddresses,
      boolean serverAuth,
      boolean clientAuth,
      Instant notBefore,
      Instant notAfter,
      KeyType keyType,
      String uid) {

    public static LeafSpec server(String cn, List<String> dns, List<String> ips, Duration validity) {
      Instant now = Instant.now().minusSeconds(60);
      return new LeafSpec(cn, List.of(), dns, ips, true, false, now, now.plus(validity), KeyType.EC_P256, null);
    }

    public static LeafSpec client(String cn, List<String> orgs, Duration validity) {
      Instant now = Instant.now().minusSeconds(60);
      return new LeafSpec(cn, orgs, List.of(), List.of(), false, true, now, now.plus(validity), KeyType.EC_P256, null);
    }

    public LeafSpec withKeyType(KeyType type) {
      return new LeafSpec(commonName, organizations, dnsNames, ipAddresses, serverAuth, clientAuth,
          notBefore, notAfter, type, uid);
    }

    public LeafSpec withValidity(Instant from, Instant to) {
      return new LeafSpec(commonName, organizations, dnsNames, ipAddresses, serverAuth, clientAuth,
          from, to, keyType, uid);
    }

    public LeafSpec withUsages(boolean server, boolean client) {
      return new LeafSpec(commonName, organizations, dnsNames, ipAddresses, server, client,
          notBefore, notAfter, keyType, uid);
    }

    public LeafSpec withUid(String value) {
      return new LeafSpec(commonName, organizations, dnsNames, ipAddresses, serverAuth, clientAuth,
          notBefore, notAfter, keyType, value);
    }
  }

  private CertificateIssuer() {}

  public static KeyPair newKeyPair(KeyType type) {
    try {
      if (type == KeyType.RSA_2048) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, RANDOM);
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate " + type + " key", e);
    }
  }

  /** A self-signed CA certificate, as kubeadm's {@code ca.crt} or {@code front-proxy-ca.crt}. */
  public static Issued selfSignedCa(String commonName, Duration validity) {
    KeyPair kp = newKeyPair(KeyType.RSA_2048);
    Instant now = Instant.now().minusSeconds(60);
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          subject, serial(), Date.from(now), Date.from(now.plus(validity)), subject, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new Issued(sign(b, kp.getPrivate()), kp);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot issue CA " + commonName, e);
    }
  }

  /** A leaf certificate signed by {@code ca}. */
  public static Issued issue(Issued ca, LeafSpec spec) {
    KeyPair kp = newKeyPair(spec.keyType());
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          ca.certificate(), serial(), Date.from(spec.notBefore()), Date.from(spec.notAfter()),
          subject(spec), kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      addUsagesAndNames(b, spec);
      b.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(ca.certificate()));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new Issued(sign(b, ca.privateKey()), kp);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot issue certificate for " + spec.commonName(), e);
    }
  }

  /** O = each group, then the UID attribute, then CN = user: what kube-apiserver maps to a user. */
  private static X500Name subject(LeafSpec spec) {
    X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
    for (String o : spec.organizations()) {
      nb.addRDN(BCStyle.O, o);
    }
    if (spec.uid() != null) {
      nb.addRDN(ClientCertificateVerifier.UID_OID, spec.uid());
    }
    nb.addRDN(BCStyle.CN, spec.commonName());
    return nb.build();
  }

  /** Extended key usages and subject alternative names; each left out when there are none. */
  private static void addUsagesAndNames(X509v3CertificateBuilder b, LeafSpec spec) throws java.io.IOException {
    List<KeyPurposeId> purposes = new ArrayList<>();
    if (spec.serverAuth()) {
      purposes.add(KeyPurposeId.id_kp_serverAuth);
    }
    if (spec.clientAuth()) {
      purposes.add(KeyPurposeId.id_kp_clientAuth);
    }
    if (!purposes.isEmpty()) {
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0])));
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String dns : spec.dnsNames()) {
      sans.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (String ip : spec.ipAddresses()) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
    }
    if (!sans.isEmpty()) {
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(sans.toArray(new GeneralName[0])));
    }
  }

  /** Host name, {@code localhost}, and the loopback addresses: default serving SANs. */
  public static List<String> defaultDnsNames() {
    List<String> names = new ArrayList<>(List.of("localhost"));
    try {
      String host = InetAddress.getLocalHost().getHostName();
      if (!names.contains(host)) {
        names.add(host);
      }
    } catch (UnknownHostException ignored) {
      // no resolvable host name: localhost is enough for local use
    }
    return names;
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    String alg = signer.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      ContentSigner cs = new JcaContentSignerBuilder(alg).build(signer);
      return new JcaX509CertificateConverter().getCertificate(b.build(cs));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(63, RANDOM).add(BigInteger.ONE);
  }
}
