package io.apilb.proxy;

import io.apilb.tls.ClientCertificateResult;

/**
 * What admission knows of the client's connection, fixed for the connection's life.
 *
 * @param http2 the request is an HTTP/2 stream
 * @param clientAddress the client's IP as text (for X-Forwarded-For and the access log)
 * @param certificate the verification result of the client's certificate ({@code none()} without one)
 */
public record ConnectionFacts(boolean http2, String clientAddress, ClientCertificateResult certificate) {
  public String protocol() {
    return http2 ? "h2" : "http1";
  }
}
