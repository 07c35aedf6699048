package io.apilb.tls;

import io.apilb.config.ApilbConfig;
import io.apilb.config.BackendTlsConfig;
import io.apilb.config.ListenerConfig;
import io.apilb.tls.TlsContexts.KeyMaterial;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * The live TLS state of a running apilb: the listener's context (serving certificate and
 * advertised client CAs), the client certificate verifier, and the two backend contexts (without a
 * client certificate, and with the front-proxy certificate). Rotation swaps whole contexts for new
 * connections; open connections and watches keep the ones they were made with.
 */
public final class TlsState implements AutoCloseable {
  private final ApilbConfig config;
  private final List<X509Certificate> backendCa;
  private final AtomicReference<SslContext> server;
  private final SslContext backendPlain;
  private final Optional<SslContext> frontProxy;
  private final Optional<ClientCertificateVerifier> verifier;
  private final CertificateReloader reloader;
  private KeyMaterial serving; // control thread after start
  private List<X509Certificate> clientCas;

  public TlsState(ApilbConfig config, TlsMaterial material, ScheduledExecutorService control,
      CertificateReloader.Outcomes outcomes) throws SSLException {
    this.config = config;
    this.backendCa = material.backendCa();
    this.serving = material.serving();
    this.clientCas = material.clientCas();
    this.server = new AtomicReference<>(TlsContexts.server(serving, clientCas));
    this.backendPlain = TlsContexts.backendClient(backendCa, Optional.empty());
    this.frontProxy = material.proxyClient().isEmpty() ? Optional.empty()
        : Optional.of(TlsContexts.backendClient(backendCa, material.proxyClient()));
    this.verifier = material.clientCertificates()
        ? Optional.of(new ClientCertificateVerifier(clientCas, Clock.systemUTC())) : Optional.empty();
    this.reloader = new CertificateReloader(control, config.certificateReloadInterval(), outcomes);
  }

  /** The listener context for the next connection. */
  public SslContext serverContext() {
    return server.get();
  }

  /** Backend connections that present no client certificate (tokens, anonymous, probes). */
  public SslContext backendContext() {
    return backendPlain;
  }

  /** The initial context for backend connections that present the front-proxy certificate. */
  public Optional<SslContext> frontProxyContext() {
    return frontProxy;
  }

  /** Present when client certificates are on. */
  public Optional<ClientCertificateVerifier> verifier() {
    return verifier;
  }

  /**
   * Starts watching the files: the serving certificate always; the client CA bundle and the
   * front-proxy certificate when client certificates are on. A new front-proxy context goes to
   * {@code frontProxyRotation}.
   */
  public void start(Consumer<SslContext> frontProxyRotation) {
    ListenerConfig listener = config.listener();
    List<Path> servingFiles = new ArrayList<>(List.of(listener.certFile(), listener.keyFile()));
    listener.keyPassphraseFile().ifPresent(servingFiles::add);
    reloader.watch("serving", servingFiles, () -> {
      KeyMaterial next = KeyMaterial.load(listener.certFile(), listener.keyFile(), listener.keyPassphraseFile());
      server.set(TlsContexts.server(next, clientCas));
      serving = next;
    });
    if (verifier.isPresent()) {
      ClientCertificateVerifier v = verifier.get();
      reloader.watch("client_ca", List.of(listener.clientCaFile()), () -> {
        List<X509Certificate> next = PemFiles.readCertificates(listener.clientCaFile());
        server.set(TlsContexts.server(serving, next));
        v.updateAuthorities(next);
        clientCas = next;
      });
      BackendTlsConfig b = config.backendTls();
      List<Path> proxyFiles = new ArrayList<>(List.of(b.proxyClientCertFile(), b.proxyClientKeyFile()));
      b.proxyClientKeyPassphraseFile().ifPresent(proxyFiles::add);
      reloader.watch("front_proxy_client", proxyFiles, () -> {
        KeyMaterial next = KeyMaterial.load(b.proxyClientCertFile(), b.proxyClientKeyFile(),
            b.proxyClientKeyPassphraseFile());
        frontProxyRotation.accept(TlsContexts.backendClient(backendCa, Optional.of(next)));
      });
    }
    reloader.start();
  }

  /** Reloads every certificate file now (SIGHUP); completes when done. */
  public CompletableFuture<Void> reload() {
    return reloader.reload();
  }

  @Override
  public void close() {
    reloader.close();
  }
}
