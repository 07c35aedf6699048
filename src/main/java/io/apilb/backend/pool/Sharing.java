package io.apilb.backend.pool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Which requests may share a multiplexed (HTTP/2) backend connection, so that no client can end
 * or disturb another client's stream. kube-apiserver (1.28+, {@code UnauthenticatedHTTP2DOSMitigation})
 * answers an unauthenticated HTTP/2 request (anonymous, or 401) with GOAWAY and retires the
 * connection; every stream sharing it is then moved or ended. So:
 * <ul>
 *   <li>requests whose identity apilb asserts with the front-proxy certificate are always
 *       authenticated at the apiserver: they share connections ({@code credential} null);
 *   <li>a bearer-token (or any {@code Authorization}) request shares only with requests carrying
 *       the very same credential: a credential that fails retires only its own connections;
 *   <li>anonymous requests are never multiplexed: they go on HTTP/1.1.
 * </ul>
 * Pools are keyed by a 128-bit digest of the credential (SHA-256, truncated), never by its text:
 * it is never logged or exposed, and a second credential cannot be made to collide with it. The
 * digest is computed only when a multiplexed pool is looked up (not for HTTP/1.1 backends).
 */
public final class Sharing {
  private final ConnectionKind kind;
  private final boolean multiplexed;
  /** The request's Authorization value until its digest is taken; null for none. */
  private CharSequence authorization;
  private CredentialKey credential;
  /** The client connection's memo of its last credential, or null to digest every time. */
  private final CredentialKeys keys;

  private Sharing(ConnectionKind kind, boolean multiplexed, CharSequence authorization, CredentialKeys keys) {
    this.kind = kind;
    this.multiplexed = multiplexed;
    this.authorization = authorization;
    this.keys = keys;
  }

  /** A request that must not share: HTTP/1.1 on a connection of its own for the time of the request. */
  public static Sharing http1(ConnectionKind kind) {
    return new Sharing(kind, false, null, null);
  }

  /**
   * The sharing of a request of {@code kind} whose {@code Authorization} header is
   * {@code authorization} (null when absent).
   */
  public static Sharing of(ConnectionKind kind, CharSequence authorization) {
    return of(kind, authorization, null);
  }

  /**
   * As {@link #of(ConnectionKind, CharSequence)}, the digest taken through {@code keys}, the
   * memo of the client connection that sent the request (null: digest it anew).
   */
  public static Sharing of(ConnectionKind kind, CharSequence authorization, CredentialKeys keys) {
    if (kind == ConnectionKind.FRONT_PROXY) {
      return new Sharing(kind, true, null, null);
    }
    if (authorization == null || authorization.length() == 0) {
      return http1(kind);
    }
    return new Sharing(kind, true, authorization, keys);
  }

  public ConnectionKind kind() {
    return kind;
  }

  public boolean multiplexed() {
    return multiplexed;
  }

  /** Digest of the request's credential; null for front-proxy and anonymous requests. */
  public CredentialKey credential() {
    if (credential == null && authorization != null) {
      credential = keys != null ? keys.keyOf(authorization) : CredentialKey.of(authorization);
      authorization = null;
    }
    return credential;
  }

  @Override
  public String toString() {
    return "Sharing[" + kind + (multiplexed ? ", multiplexed" : ", http/1.1") + "]";
  }

  /** A digest of one credential; equal digests mean the same credential. */
  public record CredentialKey(long high, long low) {
    /** One digest per thread instead of a provider lookup for every token request (the request path). */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from the JDK", e);
      }
    });

    static CredentialKey of(CharSequence credential) {
      byte[] d = SHA256.get().digest(credential.toString().getBytes(StandardCharsets.UTF_8)); // digest() resets it
      ByteBuffer b = ByteBuffer.wrap(d);
      return new CredentialKey(b.getLong(), b.getLong());
    }

    @Override
    public String toString() {
      return "credential"; // never the digest either: nothing about a token leaves this record
    }
  }
}
