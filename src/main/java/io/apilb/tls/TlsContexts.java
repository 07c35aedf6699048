package io.apilb.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * SslContext factories: BoringSSL through netty-tcnative when it loads, the JDK otherwise.
 * TLS 1.2 and 1.3 only. Building a context reads files: control thread or start-up only.
 */
public final class TlsContexts {
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  /** A certificate chain (leaf first) and its key. */
  public record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
    public KeyMaterial {
      chain = List.copyOf(chain);
    }

    public static KeyMaterial load(Path certFile, Path keyFile) throws TlsMaterialException {
      return load(certFile, keyFile, Optional.empty());
    }

    /**
     * Reads a chain and its key; an encrypted PKCS#8 key is decrypted with the passphrase in
     * {@code passphraseFile}. A key that does not match the chain's leaf is an error naming both files.
     */
    public static KeyMaterial load(Path certFile, Path keyFile, Optional<Path> passphraseFile)
        throws TlsMaterialException {
      List<X509Certificate> chain = PemFiles.readCertificates(certFile);
      Optional<char[]> passphrase = passphraseFile.isEmpty()
          ? Optional.empty() : Optional.of(PemFiles.readPassphrase(passphraseFile.get()));
      PrivateKey key = PemFiles.readPrivateKey(keyFile, passphrase);
      if (!KeyMatch.matches(chain.get(0).getPublicKey(), key)) {
        throw new TlsMaterialException(
            "private key " + keyFile + " does not match the certificate in " + certFile);
      }
      return new KeyMaterial(chain, key);
    }
  }

  private TlsContexts() {}

  /** The provider in use, for logs. */
  public static SslProvider provider() {
    return OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL)
        ? SslProvider.OPENSSL
        : SslProvider.JDK;
  }

  /**
   * The listener's context: ALPN {@code h2} then {@code http/1.1}; a client offering no ALPN
   * gets HTTP/1.1 (the ALPN handler falls back).
   */
  public static SslContext server(KeyMaterial serving) throws SSLException {
    return server(serving, List.of());
  }

  /**
   * The listener's context; with {@code clientCas}, clients are asked for an optional certificate
   * and the CertificateRequest lists those CAs. Any chain passes the handshake: verification is
   * {@link ClientCertificateVerifier}'s, so failures become 401 Status responses.
   */
  public static SslContext server(KeyMaterial serving, List<X509Certificate> clientCas) throws SSLException {
    return server(serving, clientCas, provider());
  }

  static SslContext server(KeyMaterial serving, List<X509Certificate> clientCas, SslProvider provider)
      throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(serving.key(), serving.chain().toArray(new X509Certificate[0]));
    if (clientCas.isEmpty()) {
      b.clientAuth(ClientAuth.NONE);
    } else {
      b.clientAuth(ClientAuth.OPTIONAL).trustManager(new AdvertisingTrustManager(clientCas));
    }
    return b.sslProvider(provider)
        .protocols(PROTOCOLS)
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2,
            ApplicationProtocolNames.HTTP_1_1))
        .build();
  }

  /** A plain HTTP/1.1-only server context (simulated apiservers, the admin port if TLS). */
  public static SslContext http1Server(KeyMaterial serving) throws SSLException {
    return SslContextBuilder.forServer(serving.key(), serving.chain().toArray(new X509Certificate[0]))
        .sslProvider(provider())
        .protocols(PROTOCOLS)
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_1_1))
        .build();
  }

  /**
   * Context for connections to backends: trusts {@code trust} only, verifies the host name,
   * offers ALPN {@code http/1.1} (backend connections are HTTP/1.1, which upgrades require), and
   * presents {@code clientCert} when given.
   */
  public static SslContext backendClient(List<X509Certificate> trust, Optional<KeyMaterial> clientCert)
      throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient()
        .sslProvider(provider())
        .protocols(PROTOCOLS)
        .trustManager(trust.toArray(new X509Certificate[0]))
        .endpointIdentificationAlgorithm("HTTPS")
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_1_1));
    clientCert.ifPresent(km -> b.keyManager(km.key(), km.chain().toArray(new X509Certificate[0])));
    return b.build();
  }

  /** An SslHandler for one backend connection: SNI and host-name verification use {@code verifiedName}. */
  public static SslHandler newBackendHandler(SslContext ctx, ByteBufAllocator alloc, String verifiedName, int port) {
    return ctx.newHandler(alloc, verifiedName, port);
  }
}
