package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientCertificateVerifierTest {
  static final Issued CA = CertificateIssuer.selfSignedCa("cluster-ca", Duration.ofDays(1));
  static final Issued OTHER = CertificateIssuer.selfSignedCa("cluster-ca", Duration.ofDays(1)); // same name, other key
  final ClientCertificateVerifier verifier = new ClientCertificateVerifier(List.of(CA.certificate()), Clock.systemUTC());

  static Certificate[] chain(Issued... certs) {
    Certificate[] out = new Certificate[certs.length];
    for (int i = 0; i < certs.length; i++) {
      out[i] = certs[i].certificate();
    }
    return out;
  }

  @Test
  void mapsCnToUserAndOrganizationsToGroupsInOrderWithUidAndCredentialId() {
    Issued alice = CertificateIssuer.issue(CA, LeafSpec.client("alice", List.of("dev", "ops"), Duration.ofDays(1))
        .withUid("1234"));

    ClientCertificateResult r = verifier.verify(chain(alice));

    ClientIdentity id = r.identity().orElseThrow();
    assertThat(id.user()).isEqualTo("alice");
    assertThat(id.groups()).containsExactly("dev", "ops");
    assertThat(id.uid()).contains("1234");
    assertThat(id.extra().get(ClientIdentity.CREDENTIAL_ID_KEY).get(0)).matches("X509SHA256=[0-9a-f]{64}");
  }

  @Test
  void rejectsAnUnknownCaAnExpiredCertificateAndAServerOnlyCertificate() {
    Issued unknown = CertificateIssuer.issue(OTHER, LeafSpec.client("mallory", List.of(), Duration.ofDays(1)));
    Instant past = Instant.now().minus(Duration.ofDays(5));
    Issued expired = CertificateIssuer.issue(CA, LeafSpec.client("old", List.of(), Duration.ofDays(1))
        .withValidity(past, past.plus(Duration.ofDays(1))));
    Issued serverOnly = CertificateIssuer.issue(CA, LeafSpec.client("srv", List.of(), Duration.ofDays(1))
        .withUsages(true, false));

    assertThat(verifier.verify(chain(unknown)).rejection()).hasValueSatisfying(m -> assertThat(m).contains("unknown authority"));
    assertThat(verifier.verify(chain(expired)).rejection()).hasValueSatisfying(m -> assertThat(m).contains("expired"));
    assertThat(verifier.verify(chain(serverOnly)).rejection())
        .hasValueSatisfying(m -> assertThat(m).contains("incompatible key usage"));
  }

  @Test
  void seesRotatedAuthorities() {
    Issued fromOther = CertificateIssuer.issue(OTHER, LeafSpec.client("bob", List.of(), Duration.ofDays(1)));
    assertThat(verifier.verify(chain(fromOther)).rejection()).isPresent();
    verifier.updateAuthorities(List.of(CA.certificate(), OTHER.certificate()));
    assertThat(verifier.verify(chain(fromOther)).identity()).isPresent();
  }

  @Test
  void noCertificateOrAnEmptyCnCarriesNoIdentity() {
    Issued noCn = CertificateIssuer.issue(CA, LeafSpec.client("", List.of("g"), Duration.ofDays(1)));

    assertThat(verifier.verify(new Certificate[0]).toString()).isEqualTo("none");
    assertThat(verifier.verify((Certificate[]) null).identity()).isEmpty();
    ClientCertificateResult r = verifier.verify(chain(noCn));
    assertThat(r.identity()).isEmpty();
    assertThat(r.rejection()).isEmpty();
  }
}
