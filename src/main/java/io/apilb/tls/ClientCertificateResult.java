package io.apilb.tls;

import io.netty.util.AttributeKey;
import java.util.Objects;
import java.util.Optional;

/**
 * What the client certificate of one connection proves, computed once after the handshake and
 * kept in the connection's {@link #ATTRIBUTE} (HTTP/2 streams read it from their parent channel).
 * Exactly one of: no certificate ({@link #none()}), a verified identity, or a rejection with the
 * reason (unknown CA, expired, wrong key usage, malformed subject).
 */
public final class ClientCertificateResult {
  /** Set on the TCP connection's channel once its handshake has completed. */
  public static final AttributeKey<ClientCertificateResult> ATTRIBUTE =
      AttributeKey.valueOf(ClientCertificateResult.class, "client-certificate");

  private static final ClientCertificateResult NONE = new ClientCertificateResult(null, null);

  private final ClientIdentity identity;
  private final String rejection;

  private ClientCertificateResult(ClientIdentity identity, String rejection) {
    this.identity = identity;
    this.rejection = rejection;
  }

  /** No client certificate, or one that carries no identity (empty CN: no opinion). */
  public static ClientCertificateResult none() {
    return NONE;
  }

  public static ClientCertificateResult verified(ClientIdentity identity) {
    return new ClientCertificateResult(Objects.requireNonNull(identity), null);
  }

  public static ClientCertificateResult rejected(String reason) {
    return new ClientCertificateResult(null, Objects.requireNonNull(reason));
  }

  public Optional<ClientIdentity> identity() {
    return Optional.ofNullable(identity);
  }

  /** Why a presented certificate was not accepted; empty when verified or absent. */
  public Optional<String> rejection() {
    return Optional.ofNullable(rejection);
  }

  @Override
  public String toString() {
    return identity != null ? "verified " + identity : rejection != null ? "rejected: " + rejection : "none";
  }
}
