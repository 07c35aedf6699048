package io.apilb.sim;

import io.apilb.tls.TlsContexts;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * Builds a {@link SimulatedApiserver} (see {@link SimulatedApiserver#builder}); {@link #keyMaterial}
 * is required.
 */
public final class SimulatedApiserverBuilder {
  // package-private: SimulatedApiserver's constructor reads them
  final String name;
  final SimulatedCluster cluster;
  TlsContexts.KeyMaterial keyMaterial;
  int port;
  String bindAddress = "127.0.0.1";
  List<X509Certificate> clientCas = List.of();
  FrontProxyAuth auth;
  Duration bookmarkInterval = Duration.ofSeconds(60);
  int threads = 2;
  boolean http2;
  int maxConcurrentStreams = 250;
  boolean unauthenticatedHttp2Close = true;
  String gitVersion = "v1.33.0";
  boolean advertise;

  SimulatedApiserverBuilder(String name, SimulatedCluster cluster) {
    this.name = Objects.requireNonNull(name, "name");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
  }

  /** The serving certificate chain and key (required). */
  public SimulatedApiserverBuilder keyMaterial(TlsContexts.KeyMaterial km) {
    this.keyMaterial = km;
    return this;
  }

  /** The port; 0 (default) picks a free one, kept across {@link SimulatedApiserver#restart()}. */
  public SimulatedApiserverBuilder port(int port) {
    this.port = port;
    return this;
  }

  /** The address to bind, default {@code 127.0.0.1}. */
  public SimulatedApiserverBuilder bindAddress(String address) {
    this.bindAddress = address;
    return this;
  }

  /** CAs whose client certificates are accepted (ClientAuth.OPTIONAL); none: no client auth. */
  public SimulatedApiserverBuilder clientCertificateAuthorities(List<X509Certificate> cas) {
    this.clientCas = List.copyOf(cas);
    return this;
  }

  /**
   * Authenticates every request as kube-apiserver does (request-header, x509, token,
   * anonymous; see {@link FrontProxyAuth}); replaces {@link #clientCertificateAuthorities}.
   */
  public SimulatedApiserverBuilder authentication(FrontProxyAuth auth) {
    this.auth = auth;
    return this;
  }

  /** How often watches with {@code allowWatchBookmarks=true} get a BOOKMARK, default 60 s. */
  public SimulatedApiserverBuilder bookmarkInterval(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("bookmark interval must be positive");
    }
    this.bookmarkInterval = interval;
    return this;
  }

  /** Event loop threads, default 2. */
  public SimulatedApiserverBuilder eventLoopThreads(int n) {
    this.threads = n;
    return this;
  }

  /** {@code true}: offer ALPN {@code h2} before {@code http/1.1} (default: HTTP/1.1 only). */
  public SimulatedApiserverBuilder http2(boolean enabled) {
    this.http2 = enabled;
    return this;
  }

  /** SETTINGS_MAX_CONCURRENT_STREAMS on HTTP/2 (default 250, kube-apiserver's). */
  public SimulatedApiserverBuilder maxConcurrentStreams(int n) {
    this.maxConcurrentStreams = n;
    return this;
  }

  /** The version {@code /version} reports (vMAJOR.MINOR.PATCH), default v1.33.0. */
  public SimulatedApiserverBuilder gitVersion(String version) {
    this.gitVersion = Objects.requireNonNull(version, "version");
    return this;
  }

  /**
   * kube-apiserver 1.28+'s {@code UnauthenticatedHTTP2DOSMitigation} (default on): an anonymous
   * or 401 request on HTTP/2 retires its connection with GOAWAY.
   */
  public SimulatedApiserverBuilder unauthenticatedHttp2Close(boolean on) {
    this.unauthenticatedHttp2Close = on;
    return this;
  }

  /**
   * {@code true}: publish the bind address and port in the {@code default/kubernetes} Endpoints
   * and EndpointSlice while listening, as kube-apiserver's lease endpoint reconciler does with
   * its advertise address (see {@link ApiserverEndpoints}). Off by default: kube-apiserver
   * requires every apiserver to use one port, and most tests run several on one address.
   */
  public SimulatedApiserverBuilder advertise(boolean enabled) {
    this.advertise = enabled;
    return this;
  }

  /** Builds a stopped apiserver; call {@link SimulatedApiserver#start()}. */
  public SimulatedApiserver build() {
    Objects.requireNonNull(keyMaterial, "keyMaterial is required");
    try {
      return new SimulatedApiserver(this);
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the TLS context for " + name, e);
    }
  }
}
