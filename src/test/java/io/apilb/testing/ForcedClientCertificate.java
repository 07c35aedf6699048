package io.apilb.testing;

import io.apilb.pki.CertificateIssuer.Issued;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A client TLS context that trusts one CA and presents one certificate whatever CAs the server
 * asks for (a JSSE key manager would withhold a certificate the server did not name), so tests
 * can offer untrusted or expired certificates too.
 */
public final class ForcedClientCertificate {
  private ForcedClientCertificate() {}

  /** @param issuersSeen told each issuer name the server's CertificateRequest lists */
  public static SSLContext sslContext(X509Certificate trustedCa, Issued cert, Consumer<String> issuersSeen)
      throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", trustedCa);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    X509ExtendedKeyManager km = new X509ExtendedKeyManager() {
      private String choose(Principal[] issuers) {
        if (issuers != null) {
          for (Principal p : issuers) {
            issuersSeen.accept(new javax.security.auth.x500.X500Principal(p.getName()).getName());
          }
        }
        return "c";
      }

      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {"c"};
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return choose(issuers);
      }

      @Override
      public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return choose(issuers);
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return new X509Certificate[] {cert.certificate()};
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return cert.privateKey();
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new KeyManager[] {km}, tmf.getTrustManagers(), null);
    return ctx;
  }
}
