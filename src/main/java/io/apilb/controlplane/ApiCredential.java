package io.apilb.controlplane;

import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Map;

/**
 * How one API request of apilb's own authenticates: the TLS context of the connection (with a
 * client certificate or without) and the headers to send.
 *
 * @param description for logs and the status page ("front-proxy certificate as system:apilb")
 */
public record ApiCredential(SslContext sslContext, List<Map.Entry<String, String>> headers, String description) {
  public ApiCredential {
    headers = List.copyOf(headers);
  }
}
