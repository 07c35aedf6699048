package io.apilb.tls;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The identity of a verified client certificate, mapped as kube-apiserver's x509 authenticator
 * maps it: user = subject CN, groups = subject O values in order, UID = the subject attribute
 * {@code 1.3.6.1.4.1.57683.2}, and the extra {@value #CREDENTIAL_ID_KEY} =
 * {@code X509SHA256=<lower-case hex SHA-256 of the certificate>}.
 */
public record ClientIdentity(String user, List<String> groups, Optional<String> uid, Map<String, List<String>> extra) {
  /** The extra key kube-apiserver records for the credential an identity was proven with. */
  public static final String CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id";

  public ClientIdentity {
    Objects.requireNonNull(user, "user");
    groups = List.copyOf(groups);
    Objects.requireNonNull(uid, "uid");
    extra = Map.copyOf(extra);
  }
}
