package io.apilb.metrics;

/**
 * Every Dropwizard metric name in one place. Names are dotted; per-backend names embed the
 * backend name (a DNS label, so it has no dots) and are turned into Prometheus labels by the
 * mapping in {@code PrometheusExporter}.
 *
 * <pre>
 * apilb.backend.requests.BACKEND.CLASS.CODE   counter  -> apilb_backend_requests_total{backend,class,code}
 * apilb.backend.latency.BACKEND               timer    -> apilb_backend_request_duration_seconds{backend}
 * apilb.backend.api_requests                  family   -> apilb_backend_api_requests_total{backend,verb,group,resource,subresource,code}
 * apilb.backend.api_latency                   family   -> apilb_backend_api_request_duration_seconds{backend,verb_class} (histogram)
 * apilb.backend.inflight.BACKEND              gauge    -> apilb_backend_inflight_requests{backend}
 * apilb.backend.longrunning.BACKEND           gauge    -> apilb_backend_longrunning_requests{backend}
 * apilb.backend.ready.BACKEND                 gauge    -> apilb_backend_ready{backend}
 * apilb.backend.probes.BACKEND.RESULT         counter  -> apilb_backend_probes_total{backend,result}
 * apilb.backend.retries.BACKEND.REASON        counter  -> apilb_backend_retries_total{backend,reason}
 * apilb.backend.connect_failures.BACKEND      counter  -> apilb_backend_connect_failures_total{backend}
 * apilb.backend.rebalanced_watches.BACKEND    counter  -> apilb_backend_rebalanced_watches_total{backend}
 * apilb.backend.watches.BACKEND               gauge    -> apilb_backend_watches{backend}
 * apilb.backend.http2_connections.BACKEND     gauge    -> apilb_backend_http2_connections{backend}
 * apilb.backend.http2_streams.BACKEND         gauge    -> apilb_backend_http2_streams{backend}
 * apilb.backend.ejections.BACKEND             counter  -> apilb_backend_ejections_total{backend}
 * apilb.backend.transitions.BACKEND.STATE     counter  -> apilb_backend_transitions_total{backend,state}
 * apilb.backend.flag.BACKEND.FLAG             gauge    -> apilb_backend_flag{backend,flag}
 * apilb.config.reloads                        counter  -> apilb_config_reloads_total
 * apilb.config.reload_failures                counter  -> apilb_config_reload_failures_total
 * apilb.balancing.panic                       gauge    -> apilb_balancing_panic
 * apilb.listener.connections.PROTOCOL         counter  -> apilb_listener_connections_total{protocol}
 * apilb.listener.connections.active           gauge    -> apilb_listener_active_connections
 * apilb.listener.tls_handshake_failures       counter  -> apilb_listener_tls_handshake_failures_total
 * apilb.listener.rejected_connections.REASON  counter  -> apilb_listener_rejected_connections_total{reason}
 * apilb.listener.timeouts.TIMEOUT             counter  -> apilb_listener_timeouts_total{timeout}
 * apilb.proxy.failures.FAILURE                counter  -> apilb_proxy_failures_total{failure}
 * apilb.listener.client_errors.REASON         counter  -> apilb_listener_client_errors_total{reason}
 * apilb.listener.client_certificates.RESULT   counter  -> apilb_listener_client_certificates_total{result}
 * apilb.tls.reloads.MATERIAL.RESULT           counter  -> apilb_tls_reloads_total{material,result}
 * apilb.discovery.backends                    gauge    -> apilb_discovery_backends
 * apilb.discovery.reads.RESULT                counter  -> apilb_discovery_reads_total{result}
 * apilb.lease.renew_age.NAMESPACE.LEASE       gauge    -> apilb_lease_renew_age_seconds{namespace,lease}
 * apilb.lease.duration.NAMESPACE.LEASE        gauge    -> apilb_lease_duration_seconds{namespace,lease}
 * apilb.lease.transitions.NAMESPACE.LEASE     gauge    -> apilb_lease_transitions{namespace,lease}
 * apilb.backend.readyz_check.BACKEND.CHECK    gauge    -> apilb_backend_readyz_check{backend,check}
 * </pre>
 */
public final class MetricNames {
  public static final String PREFIX = "apilb";
  public static final String BACKEND_REQUESTS = "apilb.backend.requests";
  public static final String BACKEND_LATENCY = "apilb.backend.latency";
  public static final String BACKEND_API_REQUESTS = "apilb.backend.api_requests";
  public static final String BACKEND_API_LATENCY = "apilb.backend.api_latency";
  public static final String BACKEND_INFLIGHT = "apilb.backend.inflight";
  public static final String BACKEND_LONGRUNNING = "apilb.backend.longrunning";
  public static final String BACKEND_READY = "apilb.backend.ready";
  public static final String BACKEND_PROBES = "apilb.backend.probes";
  public static final String BACKEND_RETRIES = "apilb.backend.retries";
  public static final String BACKEND_CONNECT_FAILURES = "apilb.backend.connect_failures";
  public static final String BACKEND_REBALANCED = "apilb.backend.rebalanced_watches";
  public static final String BACKEND_WATCHES = "apilb.backend.watches";
  /** Open multiplexed (HTTP/2) backend connections, and the streams open on them. */
  public static final String BACKEND_HTTP2_CONNECTIONS = "apilb.backend.http2_connections";
  public static final String BACKEND_HTTP2_STREAMS = "apilb.backend.http2_streams";
  public static final String BACKEND_EJECTIONS = "apilb.backend.ejections";
  public static final String BACKEND_TRANSITIONS = "apilb.backend.transitions";
  public static final String BACKEND_FLAG = "apilb.backend.flag";
  public static final String BALANCING_PANIC = "apilb.balancing.panic";
  public static final String RELOADS_OK = "apilb.config.reloads";
  public static final String RELOADS_FAILED = "apilb.config.reload_failures";
  public static final String LISTENER_CONNECTIONS = "apilb.listener.connections";
  public static final String LISTENER_ACTIVE = "apilb.listener.connections.active";
  public static final String LISTENER_TLS_FAILURES = "apilb.listener.tls_handshake_failures";
  public static final String LISTENER_REJECTED = "apilb.listener.rejected_connections";
  public static final String LISTENER_TIMEOUTS = "apilb.listener.timeouts";
  public static final String PROXY_FAILURES = "apilb.proxy.failures";
  public static final String LISTENER_CLIENT_CERTIFICATES = "apilb.listener.client_certificates";
  /** Client connections that ended in error or were ended for misbehaving, by reason. */
  public static final String LISTENER_CLIENT_ERRORS = "apilb.listener.client_errors";
  public static final String TLS_RELOADS = "apilb.tls.reloads";
  public static final String DISCOVERY_BACKENDS = "apilb.discovery.backends";
  public static final String DISCOVERY_READS = "apilb.discovery.reads";
  public static final String LEASE_RENEW_AGE = "apilb.lease.renew_age";
  public static final String LEASE_DURATION = "apilb.lease.duration";
  public static final String LEASE_TRANSITIONS = "apilb.lease.transitions";
  public static final String BACKEND_READYZ_CHECK = "apilb.backend.readyz_check";

  private MetricNames() {}
}
