package io.apilb.proxy;

import io.apilb.backend.pool.CredentialKeys;
import io.apilb.tls.ClientCertificateResult;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What admission knows of the client's connection, fixed for the connection's life.
 *
 * @param http2 the request is an HTTP/2 stream
 * @param clientAddress the client's IP as text (for X-Forwarded-For and the access log)
 * @param certificate the verification result of the client's certificate ({@code none()} without one)
 * @param credentialKeys the digest of the credential the connection presented last (the one
 *     mutable part: used on the connection's event loop only)
 */
public record ConnectionFacts(boolean http2, String clientAddress, ClientCertificateResult certificate,
    CredentialKeys credentialKeys) {
  public ConnectionFacts(boolean http2, String clientAddress, ClientCertificateResult certificate) {
    this(http2, clientAddress, certificate, new CredentialKeys());
  }

  /**
   * The client's own address when the connection came through an L4 balancer that sent a PROXY
   * protocol header (set by the listener before TLS); unset, the TCP peer is the client.
   */
  public static final AttributeKey<SocketAddress> CLIENT_ADDRESS = AttributeKey.valueOf("apilb.clientAddress");

  /** The facts of a client connection, read once per connection (the certificate result is an attribute ALPN set). */
  public static ConnectionFacts of(Channel ch, boolean http2) {
    ClientCertificateResult certificate = ch.attr(ClientCertificateResult.ATTRIBUTE).get();
    SocketAddress proxied = ch.attr(CLIENT_ADDRESS).get();
    return new ConnectionFacts(http2, ipOf(proxied != null ? proxied : ch.remoteAddress()),
        certificate == null ? ClientCertificateResult.none() : certificate);
  }

  /** The IP of {@code a} as text (no port), or its string form when it has none. */
  static String ipOf(SocketAddress a) {
    if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
      return isa.getAddress().getHostAddress();
    }
    return String.valueOf(a);
  }

  public String protocol() {
    return http2 ? "h2" : "http1";
  }
}
