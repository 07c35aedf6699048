package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.pool.ConnectionKind;
import io.apilb.config.IdentityConfig;
import io.apilb.tls.ClientCertificateResult;
import io.apilb.tls.ClientIdentity;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdentityHeadersTest {
  static final ClientIdentity ALICE = new ClientIdentity("alice", List.of("dev", "ops"), Optional.of("u-1"),
      Map.of(ClientIdentity.CREDENTIAL_ID_KEY, List.of("X509SHA256=abc")));
  static final IdentityHeaders KUBEADM = new IdentityHeaders(IdentityConfig.KUBEADM);

  static HttpHeaders spoofed() {
    return new DefaultHttpHeaders()
        .add("Authorization", "Bearer t")
        .add("X-Remote-User", "system:admin")
        .add("x-remote-user", "root")
        .add("X-REMOTE-GROUP", "system:masters")
        .add("x-Remote-Uid", "0")
        .add("X-Remote-Extra-Scopes", "all")
        .add("X-My-User", "custom")
        .add("X-My-Extra-Foo", "bar")
        .add("Impersonate-User", "bob")
        .add("Impersonate-Group", "g")
        .add("Accept", "application/json");
  }

  @Test
  void stripsStandardAndConfiguredNamesInAnyCaseAndKeepsEverythingElse() {
    IdentityHeaders custom = new IdentityHeaders(
        new IdentityConfig("X-My-User", "X-My-Group", "X-My-Uid", "X-My-Extra-", false, false));
    HttpHeaders h = spoofed();

    IdentityHeaders.Decision d = custom.forRequest(h, ClientCertificateResult.none());

    assertThat(h.names()).containsExactlyInAnyOrder("Authorization", "Impersonate-User", "Impersonate-Group", "Accept");
    assertThat(d.kind()).isEqualTo(ConnectionKind.NO_CLIENT_CERT);
    assertThat(d.refusal()).isEmpty();
    HttpHeaders out = new DefaultHttpHeaders().add("Authorization", "Bearer t");
    d.applyTo(out);
    assertThat(out.get("Authorization")).isEqualTo("Bearer t");
  }

  @Test
  void aVerifiedCertificateBecomesUserAndOneGroupLinePerOrganizationAndDropsTheToken() {
    HttpHeaders in = spoofed();
    IdentityHeaders.Decision d = KUBEADM.forRequest(in, ClientCertificateResult.verified(ALICE));
    HttpHeaders out = in.copy();

    d.applyTo(out);

    assertThat(d.kind()).isEqualTo(ConnectionKind.FRONT_PROXY);
    assertThat(out.getAll("X-Remote-User")).containsExactly("alice");
    assertThat(out.getAll("X-Remote-Group")).containsExactly("dev", "ops");
    assertThat(out.contains("X-Remote-Uid")).isFalse();
    assertThat(out.names().stream().filter(n -> n.toLowerCase().startsWith("x-remote-extra-"))).isEmpty();
    assertThat(out.contains("Authorization")).isFalse();
    assertThat(out.getAll("Impersonate-Group")).containsExactly("g");
  }

  @Test
  void uidAndCredentialIdExtraWhenEnabledWithPercentEncodedKeys() {
    IdentityHeaders all = new IdentityHeaders(
        new IdentityConfig("X-Remote-User", "X-Remote-Group", "X-Remote-Uid", "X-Remote-Extra-", true, true));
    HttpHeaders out = new DefaultHttpHeaders();

    all.forRequest(new DefaultHttpHeaders(), ClientCertificateResult.verified(ALICE)).applyTo(out);

    assertThat(out.getAll("X-Remote-Uid")).containsExactly("u-1");
    assertThat(out.getAll("X-Remote-Extra-authentication.kubernetes.io%2Fcredential-id"))
        .containsExactly("X509SHA256=abc");
    assertThat(IdentityHeaders.encodeExtraKey("acme.com/project 100%")).isEqualTo("acme.com%2Fproject%20100%25");
  }

  @Test
  void aRejectedCertificateIs401WithoutATokenAndIgnoredWithOne() {
    ClientCertificateResult bad = ClientCertificateResult.rejected("x509: certificate signed by unknown authority");

    IdentityHeaders.Decision noToken = KUBEADM.forRequest(new DefaultHttpHeaders(), bad);
    IdentityHeaders.Decision token = KUBEADM.forRequest(new DefaultHttpHeaders().add("Authorization", "Bearer t"), bad);
    IdentityHeaders.Decision wsToken = KUBEADM.forRequest(new DefaultHttpHeaders()
        .add("Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io.dA, v4.channel.k8s.io"), bad);

    assertThat(noToken.refusal()).hasValueSatisfying(r -> assertThat(r).contains("unknown authority"));
    assertThat(token.refusal()).isEmpty();
    assertThat(token.kind()).isEqualTo(ConnectionKind.NO_CLIENT_CERT);
    assertThat(wsToken.refusal()).isEmpty();
  }

  @Test
  void anIdentityThatCannotBeSentAsAsciiIsRefused() {
    ClientIdentity odd = new ClientIdentity("al\nice", List.of(), Optional.empty(), Map.of());

    assertThat(KUBEADM.forRequest(new DefaultHttpHeaders(), ClientCertificateResult.verified(odd)).refusal()).isPresent();
  }
}
