package io.apilb.proxy;

/**
 * Why a request went to another backend, with its metric tag (retries by reason). All but
 * {@link #BACKEND_RESET} mean the first backend provably never processed the request, so any
 * verb may go elsewhere; after a reset only reads without a body may (see {@link RetryPolicy}).
 */
public enum RetryReason {
  /** TCP connect failed: no request byte was sent. */
  CONNECT("connect"),
  /** TLS handshake failed: no request byte was sent. */
  TLS("tls"),
  /** 429 with {@code Connection: close} from a shutting-down kube-apiserver: rejected unexecuted. */
  SHUTDOWN_429("shutdown_429"),
  /** 503 with {@code Retry-After} from a shutting-down kube-apiserver: rejected unexecuted. */
  SHUTDOWN_503("shutdown_503"),
  /**
   * An HTTP/2 backend refused the stream (REFUSED_STREAM), or its GOAWAY's last stream id is
   * below the stream: the request was provably not processed.
   */
  REFUSED_STREAM("refused_stream"),
  /** The connection broke after the request was written, before any response byte: outcome unknown. */
  BACKEND_RESET("backend_reset");

  private final String metricTag;

  RetryReason(String metricTag) {
    this.metricTag = metricTag;
  }

  public String metricTag() {
    return metricTag;
  }
}
