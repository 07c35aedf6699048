package io.apilb.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** Checks that a private key belongs to a certificate's public key by signing a probe. */
final class KeyMatch {
  private KeyMatch() {}

  static boolean matches(PublicKey publicKey, PrivateKey privateKey) {
    String algorithm = normalize(privateKey.getAlgorithm());
    if (!normalize(publicKey.getAlgorithm()).equals(algorithm)) {
      return false;
    }
    String alg = switch (algorithm) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519" -> "Ed25519";
      default -> null;
    };
    if (alg == null) {
      return true; // unknown algorithm: let the TLS stack decide
    }
    try {
      byte[] probe = "apilb-key-match".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(privateKey);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(publicKey);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Bouncy Castle names EC keys "ECDSA", the JDK "EC". */
  private static String normalize(String algorithm) {
    return algorithm.equals("ECDSA") ? "EC" : algorithm;
  }
}
