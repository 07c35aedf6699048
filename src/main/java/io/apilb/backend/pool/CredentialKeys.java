package io.apilb.backend.pool;

import io.apilb.backend.pool.Sharing.CredentialKey;
import io.netty.util.AsciiString;

/**
 * The digest of the credential a client connection presented last. A connection's requests nearly
 * always carry the same token (a kubelet's, a controller's), so its digest is taken once per
 * connection and not for every request: a SHA-256 and two copies of the token on the request
 * path. The token itself is held only as long as the connection that sent it.
 *
 * <p>Not thread-safe: one per client connection, used on its event loop.
 */
public final class CredentialKeys {
  private CharSequence lastCredential;
  private CredentialKey lastKey;

  /** A fresh memo, for one client connection. */
  public CredentialKeys() {}

  /** The digest of {@code credential}: the last one's if it is the same text, else a new one. */
  CredentialKey keyOf(CharSequence credential) {
    CharSequence last = lastCredential;
    if (last != null && (last == credential || AsciiString.contentEquals(last, credential))) {
      return lastKey;
    }
    CredentialKey key = CredentialKey.of(credential);
    lastCredential = credential;
    lastKey = key;
    return key;
  }
}
