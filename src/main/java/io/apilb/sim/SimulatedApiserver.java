package io.apilb.sim;

import io.apilb.tls.TlsContexts;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * A simulated kube-apiserver: HTTPS (HTTP/1.1 via ALPN; clients offering h2 get http/1.1),
 * non-blocking Netty, speaking enough of the real protocol for kubectl, client-go, fabric8 and
 * the official Java client: health endpoints ({@code /readyz}, {@code /livez}, {@code /healthz},
 * single checks, {@code ?verbose}, {@code ?exclude=}), discovery ({@code /version}, {@code /api},
 * {@code /apis}, {@code /api/v1}), ConfigMap and Namespace CRUD, list, patch (merge, strategic as
 * merge, JSON patch, a crude apply) and watch (with {@code resourceVersion} replay,
 * {@code timeoutSeconds}, bookmarks, field and label selectors; JSON, or protobuf when Accept
 * prefers it; over HTTP or WebSocket), and {@code meta.k8s.io} Tables
 * for kubectl. Data lives in a {@link SimulatedCluster} shared by all apiservers of a cluster.
 *
 * <pre>{@code
 * CertificateIssuer.Issued ca = CertificateIssuer.selfSignedCa("sim-ca", Duration.ofDays(1));
 * TlsContexts.KeyMaterial km = CertificateIssuer.issue(ca,
 *     CertificateIssuer.LeafSpec.server("kube-apiserver", List.of("localhost"), List.of("127.0.0.1"),
 *         Duration.ofDays(1))).keyMaterial();
 * SimulatedCluster cluster = new SimulatedCluster();
 * SimulatedApiserver a = SimulatedApiserver.builder("apiserver-a", cluster)
 *     .keyMaterial(km)
 *     .port(0)                                  // ephemeral; port() tells which
 *     .clientCertificateAuthorities(List.of(ca.certificate()))  // optional client certs
 *     .build()
 *     .start();
 * a.failReadyzChecks("etcd");                   // /readyz -> 500 "[-]etcd failed: reason withheld"
 * a.stallStreams(true);                          // watches stop getting events
 * a.requests();                                  // everything a has received
 * a.close();
 * }</pre>
 *
 * <p><b>Health.</b> {@link #setReady(boolean) setReady(false)} makes the readyz {@code shutdown}
 * check fail (as during a graceful stop); {@link #failReadyzChecks(String...)} makes the named checks
 * fail (livez/healthz also fail when a named check is one of theirs, e.g. {@code etcd}).
 *
 * <p><b>Faults</b> (thread-safe, switchable at any time): {@link #refuseConnections(boolean)},
 * {@link #delayResponses(Duration)} (all responses), {@link #failRequests(int)},
 * {@link #closeAfterRequestBody(boolean)} (both for API paths only; health paths keep answering),
 * {@link #stallStreams(boolean)}, {@link #stopAbruptly()}, {@link #dieMidEvent()}, {@link #restart()}.
 *
 * <p>Lifecycle methods ({@code start}, {@code stop}, {@code restart}, {@code refuseConnections},
 * {@code stopAbruptly}, {@code close}) block until done: never call them on an event loop.
 */
public final class SimulatedApiserver implements AutoCloseable {
  /** readyz checks, in the order the real server prints them. */
  public static final List<String> READYZ_CHECKS = HealthEndpoints.READYZ_CHECKS;

  /** livez and healthz checks. */
  public static final List<String> LIVEZ_CHECKS = HealthEndpoints.LIVEZ_CHECKS;

  private final String name;
  private final SimulatedCluster cluster;
  private final String bindAddress;
  private final FrontProxyAuth auth;
  private final Duration bookmarkInterval;
  private final ApiRoutes routes;
  private final ApiserverListener listener;
  private final OpenConnections open = new OpenConnections();
  private final Http2Sessions http2Sessions;
  private final String gitVersion;
  private final AtomicLong connectionIds = new AtomicLong();
  private final Recordings recordings = new Recordings();
  private final Lifecycle lifecycle;
  private final HealthEndpoints health = new HealthEndpoints();
  private final Faults faults = new Faults(open::resumeWatches);

  SimulatedApiserver(SimulatedApiserverBuilder b) throws SSLException {
    this.name = b.name;
    this.cluster = b.cluster;
    this.bindAddress = b.bindAddress;
    this.bookmarkInterval = b.bookmarkInterval;
    this.http2Sessions = new Http2Sessions(b.maxConcurrentStreams, b.unauthenticatedHttp2Close);
    this.gitVersion = b.gitVersion;
    this.auth = b.auth;
    SslContext tls = ServingPipeline.tls(b.keyMaterial, b.http2, b.auth, b.clientCas);
    this.routes = new ApiRoutes(this);
    this.listener = new ApiserverListener(name, bindAddress, b.port, b.threads,
        new ServingPipeline(this, tls, b.http2));
    this.lifecycle = new Lifecycle(name, listener, open,
        b.advertise ? cluster.apiserverEndpoints() : null, bindAddress);
  }

  /** Starts building an apiserver named {@code name} (used in logs) on {@code cluster}. */
  public static SimulatedApiserverBuilder builder(String name, SimulatedCluster cluster) {
    return new SimulatedApiserverBuilder(name, cluster);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /** Binds the listener (and clears a previous shutdown state). Returns this. */
  public SimulatedApiserver start() {
    lifecycle.start();
    return this;
  }

  /**
   * Graceful stop, like SIGTERM on a kube-apiserver with default flags: the readyz
   * {@code shutdown} check fails, the listener closes (new connections are refused), watches end
   * cleanly with the terminating chunk, idle connections close, in-flight requests finish (then
   * close); whatever is left after 5 s is closed.
   */
  public void stop() {
    stop(Lifecycle.STOP_GRACE);
  }

  /** {@link #stop()} with a bound on waiting for in-flight requests. */
  public void stop(Duration timeout) {
    lifecycle.stop(timeout);
  }

  /**
   * Every open connection stops being read, as when the apiserver's host hangs or a network path
   * blackholes: TCP stays up, nothing is answered (not even HTTP/2 PING). New connections are
   * served as before.
   */
  public void freezeOpenConnections() {
    open.freeze();
  }

  /** Closes the listener and every connection at once with SO_LINGER 0 (the peer sees a RST). */
  public void stopAbruptly() {
    lifecycle.stopAbruptly();
  }

  /**
   * Dies in the middle of a watch event, like a process killed while writing: every open watch
   * writes only the first half of its next event (HTTP: a chunk with half the event's bytes;
   * WebSocket: a frame header announcing the whole message and half its payload), flushes, and
   * writes nothing more; once each has (or after 5 s), the apiserver {@link #stopAbruptly() stops
   * abruptly}. Needs events to flow (someone must be writing objects the watches see). Blocks;
   * returns how many watches were cut mid-event.
   */
  public int dieMidEvent() {
    return lifecycle.dieMidEvent();
  }

  /** Graceful {@link #stop()} if listening, then {@link #start()} on the same port. */
  public void restart() {
    lifecycle.restart();
  }

  /**
   * {@code true}: close the listening socket (new connections are refused; open ones stay);
   * {@code false}: bind again on the same port (if started and not stopped).
   */
  public void refuseConnections(boolean refuse) {
    lifecycle.refuseConnections(refuse);
  }

  /** Stops (abruptly after a short grace) and releases the event loops. Idempotent. */
  @Override
  public void close() {
    lifecycle.close();
  }

  // ---- accessors ---------------------------------------------------------------------------------

  public String name() {
    return name;
  }

  /** The bound port (after the first {@link #start()} with port 0, the chosen one). */
  public int port() {
    return listener.port();
  }

  public String bindAddress() {
    return bindAddress;
  }

  /** What {@code /version} reports as gitVersion. */
  public String gitVersion() {
    return gitVersion;
  }

  /** {@code https://<bindAddress>:<port>}. */
  public String url() {
    return "https://" + bindAddress + ":" + port();
  }

  public SimulatedCluster cluster() {
    return cluster;
  }

  /** Whether the listening socket is open. */
  public boolean isListening() {
    return listener.isOpen();
  }

  /** Open client connections. */
  public int connectionCount() {
    return open.connectionCount();
  }

  /** Open watch streams on this apiserver. */
  public int watchCount() {
    return open.watchCount();
  }

  /** Open watch streams on this apiserver written with {@code framing}. */
  public int watchCount(WatchFraming framing) {
    return open.watchCount(framing);
  }

  /** HTTP/2 behaviour and counts (connections, streams per connection). */
  public Http2Sessions http2Sessions() {
    return http2Sessions;
  }

  @Override
  public String toString() {
    return "SimulatedApiserver[" + name + " " + url() + "]";
  }

  // ---- health -------------------------------------------------------------------------------------

  /** {@code false}: the readyz {@code shutdown} check fails; {@code true}: it passes again. */
  public void setReady(boolean ready) {
    health.setReady(ready);
  }

  /** Makes exactly these checks fail (replacing the previous set); no names: all pass. */
  public void failReadyzChecks(String... names) {
    health.failChecks(names);
  }

  static boolean isHealthPath(String path) {
    return HealthEndpoints.isHealthPath(path);
  }

  ApiRoutes.Response health(QueryStringDecoder q) {
    return health.respond(q, lifecycle.isShuttingDown());
  }

  // ---- faults -------------------------------------------------------------------------------------

  /** Delays every response (health included) by {@code d}; zero turns it off. */
  public void delayResponses(Duration d) {
    faults.delayResponses(d);
  }

  /** API (non-health) requests get {@code status} with a Status body; 0 turns it off. */
  public void failRequests(int status) {
    faults.failRequests(status);
  }

  /** {@code true}: watch streams stop writing events (held back) but stay open; {@code false}: resume. */
  public void stallStreams(boolean stall) {
    faults.stallStreams(stall);
  }

  /** {@code true}: API requests are read completely, recorded, then the connection is closed unanswered. */
  public void closeAfterRequestBody(boolean close) {
    faults.closeAfterRequestBody(close);
  }

  /**
   * {@code true}: API requests get what kube-apiserver with {@code --shutdown-send-retry-after}
   * answers while it drains: 429, {@code Retry-After: 5}, {@code Connection: close}, a text body,
   * and nothing executed (health paths keep answering).
   */
  public void rejectAsShuttingDown(boolean reject) {
    faults.rejectAsShuttingDown(reject);
  }

  /**
   * Fault: answer WebSocket exec, attach and port-forward upgrades with 400 (as an apiserver
   * without the WebSocket feature gates would), so clients must fall back to SPDY/3.1.
   */
  public void rejectWebSocketStreams(boolean reject) {
    faults.rejectWebSocketStreams(reject);
  }

  /** Turns every fault and health override off (does not rebind; see {@link #refuseConnections}). */
  public void resetFaults() {
    faults.reset();
    health.setReady(true);
    health.failChecks();
  }

  // ---- recording ----------------------------------------------------------------------------------

  /**
   * The exec, attach and port-forward sessions this apiserver has served (upgraded connections),
   * oldest first, as the simulated container saw them.
   */
  public List<StreamSession> streamSessions() {
    return recordings.streamSessions();
  }

  /** Every request received since the last {@link #clearRequests()}, in arrival order. */
  public List<RecordedRequest> requests() {
    return recordings.requests();
  }

  public void clearRequests() {
    recordings.clearRequests();
  }

  /** Number of recorded requests matching {@code p}. */
  public int requestCount(Predicate<RecordedRequest> p) {
    return recordings.requestCount(p);
  }

  // ---- the parts the connection, route and watch code use -----------------------------------------

  ConnectionHandler newConnectionHandler() {
    return new ConnectionHandler(this, connectionIds.incrementAndGet());
  }

  OpenConnections openConnections() {
    return open;
  }

  Lifecycle lifecycle() {
    return lifecycle;
  }

  Faults faults() {
    return faults;
  }

  Recordings recordings() {
    return recordings;
  }

  ApiRoutes routes() {
    return routes;
  }

  /** The authentication result of a request, or null when this apiserver does not authenticate. */
  FrontProxyAuth.Result authenticate(io.netty.handler.codec.http.HttpHeaders headers,
      java.util.Optional<X509Certificate> peer) {
    return auth == null ? null : auth.authenticate(headers, peer);
  }

  Duration bookmarkInterval() {
    return bookmarkInterval;
  }
}
