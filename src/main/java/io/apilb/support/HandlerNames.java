package io.apilb.support;

/**
 * Names of every pipeline handler, and the order they run in. Change a pipeline here first.
 *
 * <pre>
 * listener connection (before ALPN):
 *   connection-limits → connection-metrics → [proxy-protocol] → client-hello → alpn
 *   proxy-protocol (when enabled) checks the source and, on a header, becomes
 *   proxy-protocol-decoder → proxy-protocol-message until the header is read; client-hello reads
 *   the ClientHello's SNI and becomes either tls (the certificate for that name) or, for a
 *   passthrough name, passthrough (alpn removed; raw bytes to a backend's passthrough-backend)
 *   (connection-limits: a connection over apilb.listener.limits is closed before any of this is built)
 * HTTP/1.1 connection (after ALPN "http/1.1" or none):
 *   tls → http1-timeouts → http1-codec → http1-expect-continue → flow-control → http1-connection
 *   (http1-connection: read demand, drain, and one exchange object per request;
 *    http1-timeouts: header, idle and body-idle timeouts, told the phase by http1-connection)
 *   after 101 Switching Protocols: tls → [tunnel-idle] → tunnel (raw bytes; HTTP handlers gone)
 * HTTP/2 connection (after ALPN "h2"):
 *   tls → http2-timeouts → flush-consolidation → http2-streams
 *   (http2-streams serves every stream: one exchange object per request, no child channel)
 * backend connection (BackendChannelInitializer):
 *   backend-tls → backend-http-codec → backend-relay
 *   after 101: backend-tls → tunnel
 * multiplexed backend connection (Http2Pool, ALPN h2):
 *   backend-tls → backend-http2 (every stream served by this one handler)
 * </pre>
 */
public final class HandlerNames {
  public static final String TLS = "tls";
  /** Checks the source and detects a PROXY protocol header (frontend.ProxyProtocolGate). */
  public static final String PROXY_PROTOCOL = "proxy-protocol";
  public static final String PROXY_PROTOCOL_DECODER = "proxy-protocol-decoder";
  public static final String PROXY_PROTOCOL_MESSAGE = "proxy-protocol-message";
  /** Peeks at the ClientHello's SNI and installs tls or passthrough (frontend.ClientHelloRouter). */
  public static final String CLIENT_HELLO = "client-hello";
  /** Either end of a TLS passthrough relay. */
  public static final String PASSTHROUGH = "passthrough";
  public static final String PASSTHROUGH_BACKEND = "passthrough-backend";
  public static final String ALPN = "alpn";
  public static final String CONNECTION_METRICS = "connection-metrics";
  /** apilb.listener.limits: counts the connection; a connection over a limit never gets further. */
  public static final String CONNECTION_LIMITS = "connection-limits";
  /** apilb.listener.timeouts of an HTTP/1.1 connection (sees raw bytes, before the codec). */
  public static final String HTTP1_TIMEOUTS = "http1-timeouts";
  /** apilb.listener.timeouts of an HTTP/2 connection (sees raw frames, before the HTTP/2 handler). */
  public static final String HTTP2_TIMEOUTS = "http2-timeouts";
  public static final String HTTP1_CODEC = "http1-codec";
  public static final String HTTP1_EXPECT_CONTINUE = "http1-expect-continue";
  public static final String FLOW_CONTROL = "flow-control";
  /** The HTTP/1.1 connection handler: read demand, drain, one exchange per request. */
  public static final String HTTP1_CONNECTION = "http1-connection";
  /** Either end of an upgrade's byte tunnel, after a 101. */
  public static final String TUNNEL = "tunnel";
  public static final String TUNNEL_IDLE = "tunnel-idle";
  public static final String FLUSH_CONSOLIDATION = "flush-consolidation";
  /** An HTTP/2 connection's small writes of one flush gathered before TLS ({@link FrameCoalescer}). */
  public static final String FRAME_COALESCER = "frame-coalescer";
  public static final String BACKEND_TLS = "backend-tls";
  public static final String BACKEND_HTTP_CODEC = "backend-http-codec";
  public static final String BACKEND_RELAY = "backend-relay";
  public static final String BACKEND_HTTP2 = "backend-http2";
  /** HTTP/2 framing and every stream's exchange, in one handler (no child channels). */
  public static final String HTTP2_STREAMS = "http2-streams";

  private HandlerNames() {}
}
