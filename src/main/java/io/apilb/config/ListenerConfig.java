package io.apilb.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The client-facing TLS listener ({@code apilb.listener.*}).
 *
 * @param maxConcurrentStreams advertised SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2 clients (>= 100)
 * @param clientAuth whether clients are asked for a certificate
 * @param clientCaFile CA bundle client certificates are verified against (explicit, or
 *     {@code <pki-dir>/ca.crt})
 * @param keyPassphraseFile file holding the passphrase of an encrypted PKCS#8 {@code keyFile}
 * @param tlsPolicy lowest TLS version and the TLS 1.2 cipher suites clients may use
 * @param sni extra serving certificates chosen by the client's SNI; {@code certFile} serves the rest
 * @param proxyProtocol whether connections start with a PROXY protocol header
 */
public record ListenerConfig(
    String address,
    int port,
    Path certFile,
    Path keyFile,
    int maxConcurrentStreams,
    ClientAuthMode clientAuth,
    Path clientCaFile,
    Optional<Path> keyPassphraseFile,
    TlsPolicy tlsPolicy,
    List<SniCertificate> sni,
    ProxyProtocolConfig proxyProtocol) {

  public ListenerConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    Objects.requireNonNull(clientAuth, "clientAuth");
    Objects.requireNonNull(clientCaFile, "clientCaFile");
    Objects.requireNonNull(keyPassphraseFile, "keyPassphraseFile");
    Objects.requireNonNull(tlsPolicy, "tlsPolicy");
    sni = List.copyOf(sni);
    Objects.requireNonNull(proxyProtocol, "proxyProtocol");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** A listener with reference.conf's TLS policy, one certificate and no PROXY protocol. */
  public ListenerConfig(String address, int port, Path certFile, Path keyFile, int maxConcurrentStreams,
      ClientAuthMode clientAuth, Path clientCaFile, Optional<Path> keyPassphraseFile) {
    this(address, port, certFile, keyFile, maxConcurrentStreams, clientAuth, clientCaFile, keyPassphraseFile,
        TlsPolicy.defaults("apilb.listener.tls"), List.of(), ProxyProtocolConfig.OFF);
  }
}
