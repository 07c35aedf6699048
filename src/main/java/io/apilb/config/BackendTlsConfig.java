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
 * @param http2 whether requests that are not upgrades are multiplexed over HTTP/2
 */
public record BackendTlsConfig(
    Path caFile,
    Optional<String> serverName,
    Path proxyClientCertFile,
    Path proxyClientKeyFile,
    Optional<Path> proxyClientKeyPassphraseFile,
    TlsPolicy tlsPolicy,
    BackendHttp2Mode http2) {

  public BackendTlsConfig {
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(serverName, "serverName");
    Objects.requireNonNull(proxyClientCertFile, "proxyClientCertFile");
    Objects.requireNonNull(proxyClientKeyFile, "proxyClientKeyFile");
    Objects.requireNonNull(proxyClientKeyPassphraseFile, "proxyClientKeyPassphraseFile");
    Objects.requireNonNull(tlsPolicy, "tlsPolicy");
    Objects.requireNonNull(http2, "http2");
  }

  /** Backend TLS with reference.conf's HTTP/2 mode ({@code auto}). */
  public BackendTlsConfig(Path caFile, Optional<String> serverName, Path proxyClientCertFile, Path proxyClientKeyFile,
      Optional<Path> proxyClientKeyPassphraseFile, TlsPolicy tlsPolicy) {
    this(caFile, serverName, proxyClientCertFile, proxyClientKeyFile, proxyClientKeyPassphraseFile, tlsPolicy,
        BackendHttp2Mode.AUTO);
  }

  /** The same, with HTTP/2 towards the backends as {@code mode} says. */
  public BackendTlsConfig withHttp2(BackendHttp2Mode mode) {
    return new BackendTlsConfig(caFile, serverName, proxyClientCertFile, proxyClientKeyFile,
        proxyClientKeyPassphraseFile, tlsPolicy, mode);
  }

  /** Backend TLS with reference.conf's TLS policy. */
  public BackendTlsConfig(Path caFile, Optional<String> serverName, Path proxyClientCertFile, Path proxyClientKeyFile,
      Optional<Path> proxyClientKeyPassphraseFile) {
    this(caFile, serverName, proxyClientCertFile, proxyClientKeyFile, proxyClientKeyPassphraseFile,
        TlsPolicy.defaults("apilb.backend-tls"));
  }
}
