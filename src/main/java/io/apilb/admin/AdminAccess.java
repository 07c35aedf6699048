package io.apilb.admin;

import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the admin port ({@code apilb.admin.token-file}):
 *
 * <ul>
 *   <li>{@code /livez} and {@code /readyz} are always open (probes and VIP checks carry no token);
 *   <li>with a token, everything else needs {@code Authorization: Bearer <token>} (403 without);
 *   <li>without a token, reads are open, and mutating requests (drain, undrain) are allowed only
 *       when the admin port is bound to loopback; bound beyond it they answer 403, and start-up
 *       says why.
 * </ul>
 *
 * Tokens are compared by their SHA-256 digests with {@link MessageDigest#isEqual}, which takes
 * the same time wherever the first difference is, and hides the token's length.
 */
public final class AdminAccess {
  private static final Logger log = LoggerFactory.getLogger(AdminAccess.class);

  /** What a request may do. */
  public enum Decision { ALLOW, UNAUTHORIZED, FORBIDDEN }

  private final AtomicReference<byte[]> tokenDigest = new AtomicReference<>();
  private volatile boolean beyondLoopback;

  /** Access with {@code token}; empty: no token. */
  public AdminAccess(Optional<String> token) {
    setToken(token);
  }

  /** Reads a token file: its content without surrounding blanks, which must not be empty. */
  public static String readToken(Path file) throws IOException {
    String token = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (token.isEmpty()) {
      throw new IOException("token file " + file + " is empty");
    }
    return token;
  }

  /** A new token (the file changed); empty removes it. */
  public void setToken(Optional<String> token) {
    tokenDigest.set(token.map(AdminAccess::digest).orElse(null));
  }

  /** Told the address the admin port is bound to; logs when mutating endpoints are closed off. */
  void bound(InetSocketAddress local) {
    beyondLoopback = local.getAddress() == null || !local.getAddress().isLoopbackAddress();
    if (beyondLoopback && tokenDigest.get() == null) {
      log.warn("the admin port {} is reachable beyond loopback and apilb.admin.token-file is not set: "
          + "POST /backends/NAME/drain and /undrain answer 403 until a token is configured "
          + "(reads such as /metrics and /backends stay open)", local);
    }
  }

  /** The decision for one request; {@code authorization} is the Authorization header or null. */
  public Decision check(HttpMethod method, String path, String authorization) {
    if (path.equals("/livez") || path.equals("/readyz")) {
      return Decision.ALLOW;
    }
    byte[] expected = tokenDigest.get();
    if (expected != null) {
      return presented(authorization).map(t -> MessageDigest.isEqual(digest(t), expected)).orElse(false)
          ? Decision.ALLOW : Decision.UNAUTHORIZED;
    }
    boolean mutating = !method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD);
    return mutating && beyondLoopback ? Decision.FORBIDDEN : Decision.ALLOW;
  }

  private static Optional<String> presented(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    return Optional.of(authorization.substring(7).strip());
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
