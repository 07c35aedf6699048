package io.apilb.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS towards the backends ({@code apilb.backend-tls.*}).
 *
 * @param caFile CA bundle that signed the apiservers' serving certificates (explicit, or
 *     {@code <pki-dir>/ca.crt})
 * @param serverName name to verify (and send as SNI) instead of each backend's address
 * @param proxyClientCertFile the front-proxy client certificate presented on connections that
 *     carry a certificate identity (explicit, or {@code <pki-dir>/front-proxy-client.crt})
 * @param proxyClientKeyFile its key (explicit, or {@code <pki-dir>/front-proxy-client.key})
 * @param proxyClientKeyPassphraseFile passphrase of an encrypted PKCS#8 {@code proxyClientKeyFile}
 * @param tlsPolicy lowest TLS version and the TLS 1.2 cipher suites offered to backends
 */
public record BackendTlsConfig(
    Path caFile,
    Optional<String> serverName,
    Path proxyClientCertFile,
    Path proxyClientKeyFile,
    Optional<Path> proxyClientKeyPassphraseFile,
    TlsPolicy tlsPolicy) {

  public BackendTlsConfig {
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(serverName, "serverName");
    Objects.requireNonNull(proxyClientCertFile, "proxyClientCertFile");
    Objects.requireNonNull(proxyClientKeyFile, "proxyClientKeyFile");
    Objects.requireNonNull(proxyClientKeyPassphraseFile, "proxyClientKeyPassphraseFile");
    Objects.requireNonNull(tlsPolicy, "tlsPolicy");
  }

  /** Backend TLS with reference.conf's TLS policy. */
  public BackendTlsConfig(Path caFile, Optional<String> serverName, Path proxyClientCertFile, Path proxyClientKeyFile,
      Optional<Path> proxyClientKeyPassphraseFile) {
    this(caFile, serverName, proxyClientCertFile, proxyClientKeyFile, proxyClientKeyPassphraseFile,
        TlsPolicy.defaults("apilb.backend-tls"));
  }
}
