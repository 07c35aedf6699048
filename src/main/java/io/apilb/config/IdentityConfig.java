package io.apilb.config;

import java.util.Objects;

/**
 * How a verified client certificate identity is asserted to the backends with the
 * authenticating-proxy headers ({@code apilb.identity.*}). Defaults are kubeadm's
 * {@code --requestheader-*} flags.
 *
 * @param userHeader the user name header (CN), kubeadm {@code X-Remote-User}
 * @param groupHeader the group header, one line per O, kubeadm {@code X-Remote-Group}
 * @param uidHeader the UID header, sent only when {@code sendUid}
 * @param extraHeaderPrefix prefix of extra headers (keys percent-encoded), kubeadm {@code X-Remote-Extra-}
 * @param sendUid send the certificate's UID attribute (OID 1.3.6.1.4.1.57683.2); needs
 *     {@code --requestheader-uid-headers} on the apiservers, which kubeadm does not set
 * @param sendCredentialId send the {@code authentication.kubernetes.io/credential-id} extra
 *     ({@code X509SHA256=<hex>}) the apiserver's own x509 authenticator adds
 */
public record IdentityConfig(
    String userHeader,
    String groupHeader,
    String uidHeader,
    String extraHeaderPrefix,
    boolean sendUid,
    boolean sendCredentialId) {

  /** kubeadm's header names, UID and credential-id off. */
  public static final IdentityConfig KUBEADM =
      new IdentityConfig("X-Remote-User", "X-Remote-Group", "X-Remote-Uid", "X-Remote-Extra-", false, false);

  public IdentityConfig {
    Objects.requireNonNull(userHeader, "userHeader");
    Objects.requireNonNull(groupHeader, "groupHeader");
    Objects.requireNonNull(uidHeader, "uidHeader");
    Objects.requireNonNull(extraHeaderPrefix, "extraHeaderPrefix");
  }
}
