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
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.apilb.config.TlsPolicy;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Set;
import javax.net.ssl.SSLContext;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * SslContext factories: BoringSSL through netty-tcnative when it loads, the JDK otherwise.
 * TLS 1.2 and 1.3 only; the listener and backend contexts follow a {@link TlsPolicy} (lowest
 * version, TLS 1.2 cipher suites). Building a context reads files: control thread or start-up only.
 */
public final class TlsContexts {
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
  /**
   * TLS 1.3's suites, always enabled with TLS 1.3: BoringSSL does not let them be chosen, and the
   * JDK enables only the suites listed, so a list of TLS 1.2 suites alone would switch 1.3 off.
   */
  static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256");

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
    return server(serving, List.of(), (TlsPolicy) null);
  }

  /**
   * The listener's context; with {@code clientCas}, clients are asked for an optional certificate
   * and the CertificateRequest lists those CAs. Any chain passes the handshake: verification is
   * {@link ClientCertificateVerifier}'s, so failures become 401 Status responses.
   */
  public static SslContext server(KeyMaterial serving, List<X509Certificate> clientCas, TlsPolicy policy)
      throws SSLException {
    return server(serving, clientCas, policy, provider());
  }

  static SslContext server(KeyMaterial serving, List<X509Certificate> clientCas, SslProvider provider)
      throws SSLException {
    return server(serving, clientCas, null, provider);
  }

  /** {@code policy} null: TLS 1.2 and 1.3 with the provider's default suites (simulators, tests). */
  static SslContext server(KeyMaterial serving, List<X509Certificate> clientCas, TlsPolicy policy,
      SslProvider provider) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(serving.key(), serving.chain().toArray(new X509Certificate[0]));
    if (clientCas.isEmpty()) {
      b.clientAuth(ClientAuth.NONE).trustManager(RefusingTrustManager.INSTANCE);
    } else {
      b.clientAuth(ClientAuth.OPTIONAL).trustManager(new AdvertisingTrustManager(clientCas));
    }
    b.sslProvider(provider)
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2,
            ApplicationProtocolNames.HTTP_1_1));
    return apply(b, policy).build();
  }

  /** A plain HTTP/1.1-only server context (simulated apiservers, the admin port if TLS). */
  public static SslContext http1Server(KeyMaterial serving) throws SSLException {
    return http1Server(serving, null);
  }

  /** As {@link #http1Server(KeyMaterial)}, accepting only what {@code policy} allows (null: defaults). */
  public static SslContext http1Server(KeyMaterial serving, TlsPolicy policy) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(serving.key(), serving.chain().toArray(new X509Certificate[0]))
        .trustManager(RefusingTrustManager.INSTANCE)
        .sslProvider(provider())
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_1_1));
    return apply(b, policy).build();
  }

  /**
   * Context for connections to backends: trusts {@code trust} only, verifies the host name,
   * offers ALPN {@code http/1.1} (backend connections are HTTP/1.1, which upgrades require), and
   * presents {@code clientCert} when given.
   */
  public static SslContext backendClient(List<X509Certificate> trust, Optional<KeyMaterial> clientCert)
      throws SSLException {
    return backendClient(trust, clientCert, null);
  }

  /** As {@link #backendClient(List, Optional)}, offering only what {@code policy} allows (null: defaults). */
  public static SslContext backendClient(List<X509Certificate> trust, Optional<KeyMaterial> clientCert,
      TlsPolicy policy) throws SSLException {
    return backendClient(trust, clientCert, policy, ApplicationProtocolNames.HTTP_1_1);
  }

  /**
   * The contexts of one kind of backend connection: HTTP/1.1, and for multiplexed connections
   * {@code h2} (with {@code http/1.1} as the fallback when {@code mode} is {@code auto}), none when off.
   */
  public static BackendClientContexts backendClients(List<X509Certificate> trust, Optional<KeyMaterial> clientCert,
      TlsPolicy policy, io.apilb.config.BackendHttp2Mode mode) throws SSLException {
    SslContext http1 = backendClient(trust, clientCert, policy);
    return switch (mode) {
      case OFF -> BackendClientContexts.http1Only(http1);
      case ON -> new BackendClientContexts(http1, backendClient(trust, clientCert, policy, ApplicationProtocolNames.HTTP_2));
      case AUTO -> new BackendClientContexts(http1, backendClient(trust, clientCert, policy,
          ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    };
  }

  private static SslContext backendClient(List<X509Certificate> trust, Optional<KeyMaterial> clientCert,
      TlsPolicy policy, String... alpn) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient()
        .sslProvider(provider())
        .trustManager(trust.toArray(new X509Certificate[0]))
        .endpointIdentificationAlgorithm("HTTPS")
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            alpn));
    clientCert.ifPresent(km -> b.keyManager(km.key(), km.chain().toArray(new X509Certificate[0])));
    return apply(b, policy).build();
  }

  /** The protocols and cipher suites of {@code policy}; null keeps TLS 1.2 and 1.3 with the provider's suites. */
  private static SslContextBuilder apply(SslContextBuilder b, TlsPolicy policy) {
    if (policy == null) {
      return b.protocols(PROTOCOLS);
    }
    List<String> suites = new ArrayList<>(TLS13_SUITES);
    policy.cipherSuites().stream().filter(s -> !suites.contains(s)).forEach(suites::add);
    return b.protocols(policy.minVersion().enabledProtocols())
        .ciphers(suites, SupportedCipherSuiteFilter.INSTANCE);
  }

  /**
   * The names in {@code suites} that the TLS provider in use does not know (BoringSSL, or the
   * JDK's SunJSSE), for a configuration error.
   */
  public static List<String> unknownCipherSuites(List<String> suites) {
    return unknownCipherSuites(suites, provider());
  }

  static List<String> unknownCipherSuites(List<String> suites, SslProvider provider) {
    Set<String> jdk = provider == SslProvider.JDK ? jdkSuites() : Set.of();
    return suites.stream()
        .filter(s -> provider == SslProvider.JDK ? !jdk.contains(s) : !OpenSsl.isCipherSuiteAvailable(s))
        .toList();
  }

  private static Set<String> jdkSuites() {
    try {
      return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no default TLS context", e);
    }
  }

  /** An SslHandler for one backend connection: SNI and host-name verification use {@code verifiedName}. */
  public static SslHandler newBackendHandler(SslContext ctx, ByteBufAllocator alloc, String verifiedName, int port) {
    return ctx.newHandler(alloc, verifiedName, port);
  }
}
