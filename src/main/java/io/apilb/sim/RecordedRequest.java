package io.apilb.sim;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One request as a {@link SimulatedApiserver} received it, recorded when its headers arrived.
 *
 * @param method the HTTP method
 * @param uri the request target exactly as sent (path and query)
 * @param headers every header line in order, names in the case received
 * @param clientCertificate the TLS peer certificate of the connection, if the client sent one
 * @param connectionId identifies the TCP connection (unique per apiserver instance)
 * @param bodyBytes body bytes received: the declared Content-Length (0 without one) until the body
 *     has been read, then the number actually read
 * @param at when the request headers arrived
 * @param user who the apiserver authenticated the request as, when it has a
 *     {@link FrontProxyAuth}; empty without one, or when it answered 401
 */
public record RecordedRequest(
    String method,
    String uri,
    List<Map.Entry<String, String>> headers,
    Optional<X509Certificate> clientCertificate,
    long connectionId,
    int bodyBytes,
    Instant at,
    Optional<FrontProxyAuth.User> user) {

  public RecordedRequest {
    headers = List.copyOf(headers);
  }

  /** A request recorded without authentication. */
  public RecordedRequest(String method, String uri, List<Map.Entry<String, String>> headers,
      Optional<X509Certificate> clientCertificate, long connectionId, int bodyBytes, Instant at) {
    this(method, uri, headers, clientCertificate, connectionId, bodyBytes, at, Optional.empty());
  }

  /** Every value of header {@code name} (case-insensitive), in order. */
  public List<String> headers(String name) {
    return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }

  /** Header names starting with {@code prefix} (case-insensitive). */
  public List<String> headerNamesStartingWith(String prefix) {
    return headers.stream().map(Map.Entry::getKey)
        .filter(n -> n.regionMatches(true, 0, prefix, 0, prefix.length())).toList();
  }

  /** The first value of header {@code name} (case-insensitive). */
  public Optional<String> header(String name) {
    return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst();
  }

  /** The path without the query. */
  public String path() {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }

  RecordedRequest withBodyBytes(int n) {
    return new RecordedRequest(method, uri, headers, clientCertificate, connectionId, n, at, user);
  }
}
