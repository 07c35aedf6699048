package io.apilb.tls;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Verifies client certificate chains against the client CA bundle as kube-apiserver's x509
 * authenticator does: the chain must lead to a CA in the bundle (intermediates sent by the
 * client are used), every certificate must be within its validity period, and the extended key
 * usage must allow clientAuth (no EKU extension, or anyExtendedKeyUsage, also allows it). Then
 * the subject is mapped to a {@link ClientIdentity}.
 *
 * <p>Thread-safe; the CA bundle is swapped whole on rotation. CPU only (no I/O), so it may run on
 * an event loop right after a handshake.
 */
public final class ClientCertificateVerifier {
  /** Subject attribute kube-apiserver reads as the user UID (certificate issuing writes it too). */
  public static final ASN1ObjectIdentifier UID_OID = new ASN1ObjectIdentifier("1.3.6.1.4.1.57683.2");
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_EKU = "2.5.29.37.0";

  private final AtomicReference<List<X509Certificate>> authorities;
  private final Clock clock;

  public ClientCertificateVerifier(List<X509Certificate> authorities, Clock clock) {
    this.authorities = new AtomicReference<>(requireSome(authorities));
    this.clock = clock;
  }

  /** Later verifications use {@code next} (a rotated client CA bundle). */
  public void updateAuthorities(List<X509Certificate> next) {
    authorities.set(requireSome(next));
  }

  public List<X509Certificate> authorities() {
    return authorities.get();
  }

  /** The result for a completed handshake's session. */
  public ClientCertificateResult verify(SSLSession session) {
    try {
      return verify(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return ClientCertificateResult.none();
    }
  }

  /** The result for a peer chain, leaf first; {@code null} or empty means no certificate. */
  public ClientCertificateResult verify(Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return ClientCertificateResult.none();
    }
    List<X509Certificate> certs = new ArrayList<>();
    for (Certificate c : chain) {
      if (!(c instanceof X509Certificate x)) {
        return ClientCertificateResult.rejected("client certificate is not X.509");
      }
      certs.add(x);
    }
    X509Certificate leaf = certs.get(0);
    Instant now = clock.instant();
    if (now.isAfter(leaf.getNotAfter().toInstant()) || now.isBefore(leaf.getNotBefore().toInstant())) {
      return ClientCertificateResult.rejected("x509: certificate has expired or is not yet valid: current time "
          + now + " is outside " + leaf.getNotBefore().toInstant() + " .. " + leaf.getNotAfter().toInstant());
    }
    List<X509Certificate> path;
    try {
      path = buildPath(certs, now);
    } catch (CertPathBuilderException e) {
      return ClientCertificateResult.rejected("x509: certificate signed by unknown authority ("
          + subjectOf(leaf) + ", issuer " + leaf.getIssuerX500Principal().getName() + ")");
    } catch (GeneralSecurityException e) {
      return ClientCertificateResult.rejected("x509: cannot verify certificate: " + e.getMessage());
    }
    for (X509Certificate c : path) {
      String problem = keyUsageProblem(c);
      if (problem != null) {
        return ClientCertificateResult.rejected(problem);
      }
    }
    return identityOf(leaf);
  }

  private List<X509Certificate> buildPath(List<X509Certificate> certs, Instant now) throws GeneralSecurityException {
    Set<TrustAnchor> anchors = new LinkedHashSet<>();
    for (X509Certificate ca : authorities.get()) {
      anchors.add(new TrustAnchor(ca, null));
    }
    X509CertSelector target = new X509CertSelector();
    target.setCertificate(certs.get(0));
    PKIXBuilderParameters params;
    try {
      params = new PKIXBuilderParameters(anchors, target);
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalStateException("empty client CA bundle", e);
    }
    params.setRevocationEnabled(false);
    params.setDate(Date.from(now));
    params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(certs)));
    PKIXCertPathBuilderResult result;
    try {
      result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<X509Certificate> path = new ArrayList<>();
    for (Certificate c : result.getCertPath().getCertificates()) {
      path.add((X509Certificate) c);
    }
    return path;
  }

  /** Go's rule: a certificate with EKUs must list clientAuth or any; one without EKUs allows all. */
  private static String keyUsageProblem(X509Certificate c) {
    List<String> ekus;
    try {
      ekus = c.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      return "x509: cannot parse the extended key usage of " + subjectOf(c);
    }
    if (ekus == null || ekus.contains(CLIENT_AUTH) || ekus.contains(ANY_EKU)) {
      return null;
    }
    return "x509: certificate specifies an incompatible key usage (" + subjectOf(c) + " is not for client authentication)";
  }

  private static ClientCertificateResult identityOf(X509Certificate leaf) {
    X500Name subject = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded());
    String cn = "";
    List<String> orgs = new ArrayList<>();
    List<String> uids = new ArrayList<>();
    for (RDN rdn : subject.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        ASN1ObjectIdentifier type = atv.getType();
        if (type.equals(BCStyle.CN)) {
          cn = text(atv.getValue()); // the last CN wins, as in Go's pkix.Name
        } else if (type.equals(BCStyle.O)) {
          orgs.add(text(atv.getValue()));
        } else if (type.equals(UID_OID)) {
          uids.add(text(atv.getValue()));
        }
      }
    }
    if (cn.isEmpty()) {
      return ClientCertificateResult.none(); // the apiserver has no opinion on an empty CN
    }
    if (uids.size() > 1) {
      return ClientCertificateResult.rejected("x509: the subject has more than one UID attribute");
    }
    if (uids.size() == 1 && uids.get(0).isEmpty()) {
      return ClientCertificateResult.rejected("x509: the subject's UID attribute is empty");
    }
    Map<String, List<String>> extra = Map.of(ClientIdentity.CREDENTIAL_ID_KEY, List.of(credentialId(leaf)));
    return ClientCertificateResult.verified(new ClientIdentity(cn, orgs,
        uids.isEmpty() ? Optional.empty() : Optional.of(uids.get(0)), extra));
  }

  /** {@code X509SHA256=} and the lower-case hex SHA-256 of the certificate's DER. */
  static String credentialId(X509Certificate c) {
    try {
      return "X509SHA256=" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(ASN1Encodable value) {
    return value instanceof ASN1String s ? s.getString() : value.toString();
  }

  private static String subjectOf(X509Certificate c) {
    return "subject \"" + c.getSubjectX500Principal().getName() + "\"";
  }

  private static List<X509Certificate> requireSome(List<X509Certificate> cas) {
    if (cas.isEmpty()) {
      throw new IllegalArgumentException("the client CA bundle is empty");
    }
    return List.copyOf(cas);
  }
}
