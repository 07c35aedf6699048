package io.apilb.frontend;

import io.apilb.proxy.ConnectionFacts;
import io.apilb.tls.ClientCertificateResult;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** The facts of a client connection that admission needs, read once per connection. */
public final class ClientAddresses {
  private ClientAddresses() {}

  /** @param http2 the connection speaks HTTP/2 */
  public static ConnectionFacts factsOf(Channel ch, boolean http2) {
    ClientCertificateResult certificate = ch.attr(ClientCertificateResult.ATTRIBUTE).get();
    return new ConnectionFacts(http2, ipOf(ch.remoteAddress()),
        certificate == null ? ClientCertificateResult.none() : certificate);
  }

  /** The IP of {@code a} as text (no port), or its string form when it has none. */
  static String ipOf(SocketAddress a) {
    if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
      return isa.getAddress().getHostAddress();
    }
    return String.valueOf(a);
  }
}
