package io.apilb.tls;

import io.apilb.config.AdminConfig;
import io.apilb.config.ApilbConfig;
import io.apilb.config.BackendTlsConfig;
import io.apilb.config.ListenerConfig;
import io.apilb.config.SniCertificate;
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
 * The live TLS state of a running apilb: the listener's contexts (the default serving
 * certificate, one per SNI certificate, the advertised client CAs and the TLS policy), the client
 * certificate verifier, the two backend contexts (without a client certificate, and with the
 * front-proxy certificate) and the admin port's context. Rotation swaps whole contexts for new
 * connections; open connections and watches keep the ones they were made with.
 */
public final class TlsState implements AutoCloseable {
  private final ApilbConfig config;
  private final List<X509Certificate> backendCa;
  private final AtomicReference<ServerContexts> server;
  private final AtomicReference<SslContext> admin;
  private final SslContext backendPlain;
  private final Optional<SslContext> frontProxy;
  private final Optional<ClientCertificateVerifier> verifier;
  private final CertificateReloader reloader;
  // control thread after start: the material the listener contexts are built from
  private KeyMaterial serving;
  private final List<KeyMaterial> sniServing;
  private List<X509Certificate> clientCas;

  public TlsState(ApilbConfig config, TlsMaterial material, ScheduledExecutorService control,
      CertificateReloader.Outcomes outcomes) throws SSLException {
    this.config = config;
    this.backendCa = material.backendCa();
    this.serving = material.serving();
    this.sniServing = new ArrayList<>(material.sniServing());
    this.clientCas = material.clientCas();
    this.server = new AtomicReference<>(buildServerContexts());
    BackendTlsConfig b = config.backendTls();
    this.backendPlain = TlsContexts.backendClient(backendCa, Optional.empty(), b.tlsPolicy());
    this.frontProxy = material.proxyClient().isEmpty() ? Optional.empty()
        : Optional.of(TlsContexts.backendClient(backendCa, material.proxyClient(), b.tlsPolicy()));
    this.admin = new AtomicReference<>(material.adminServing().isEmpty() ? null
        : TlsContexts.http1Server(material.adminServing().get(), config.listener().tlsPolicy()));
    this.verifier = material.clientCertificates()
        ? Optional.of(new ClientCertificateVerifier(clientCas, Clock.systemUTC())) : Optional.empty();
    this.reloader = new CertificateReloader(control, config.certificateReloadInterval(), outcomes);
  }

  /** The listener contexts for the next connection. */
  public ServerContexts serverContexts() {
    return server.get();
  }

  /** The default listener context for the next connection (clients without a matching SNI name). */
  public SslContext serverContext() {
    return server.get().defaultContext();
  }

  /** The admin port's context for the next connection; null when the admin port is plain HTTP. */
  public SslContext adminContext() {
    return admin.get();
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
   * Also re-reads {@code files} when they change, and on {@link #reload()}, with {@code action} on
   * the control thread (the admin token). Call before {@link #start}.
   */
  public void watchFiles(String material, List<Path> files, CertificateReloader.Action action) {
    reloader.watch(material, files, action);
  }

  /**
   * Starts watching the files: the serving certificates (default and SNI) and the admin
   * certificate always; the client CA bundle and the front-proxy certificate when client
   * certificates are on. A new front-proxy context goes to {@code frontProxyRotation}.
   */
  public void start(Consumer<SslContext> frontProxyRotation) {
    ListenerConfig listener = config.listener();
    reloader.watch("serving", files(listener.certFile(), listener.keyFile(), listener.keyPassphraseFile()), () -> {
      KeyMaterial next = KeyMaterial.load(listener.certFile(), listener.keyFile(), listener.keyPassphraseFile());
      KeyMaterial previous = serving;
      serving = next;
      swapServerContexts(() -> serving = previous);
    });
    for (int i = 0; i < listener.sni().size(); i++) {
      watchSniCertificate(i, listener.sni().get(i));
    }
    watchAdminCertificate(config.admin());
    if (verifier.isPresent()) {
      ClientCertificateVerifier v = verifier.get();
      reloader.watch("client_ca", List.of(listener.clientCaFile()), () -> {
        List<X509Certificate> next = PemFiles.readCertificates(listener.clientCaFile());
        List<X509Certificate> previous = clientCas;
        clientCas = next;
        swapServerContexts(() -> clientCas = previous);
        v.updateAuthorities(next);
      });
      BackendTlsConfig b = config.backendTls();
      reloader.watch("front_proxy_client",
          files(b.proxyClientCertFile(), b.proxyClientKeyFile(), b.proxyClientKeyPassphraseFile()), () -> {
            KeyMaterial next = KeyMaterial.load(b.proxyClientCertFile(), b.proxyClientKeyFile(),
                b.proxyClientKeyPassphraseFile());
            frontProxyRotation.accept(TlsContexts.backendClient(backendCa, Optional.of(next), b.tlsPolicy()));
          });
    }
    reloader.start();
  }

  private void watchSniCertificate(int index, SniCertificate sni) {
    String material = "serving:" + sni.serverNames().names().get(0);
    reloader.watch(material, files(sni.certFile(), sni.keyFile(), sni.keyPassphraseFile()), () -> {
      KeyMaterial next = KeyMaterial.load(sni.certFile(), sni.keyFile(), sni.keyPassphraseFile());
      KeyMaterial previous = sniServing.set(index, next);
      swapServerContexts(() -> sniServing.set(index, previous));
    });
  }

  private void watchAdminCertificate(AdminConfig a) {
    if (a.tls()) {
      Path cert = a.certFile().get();
      Path key = a.keyFile().get();
      reloader.watch("admin", List.of(cert, key),
          () -> admin.set(TlsContexts.http1Server(KeyMaterial.load(cert, key), config.listener().tlsPolicy())));
    }
  }

  /** Rebuilds every listener context from the current material; on failure restores it with {@code undo}. */
  private void swapServerContexts(Runnable undo) throws SSLException {
    try {
      server.set(buildServerContexts());
    } catch (SSLException | RuntimeException e) {
      undo.run();
      throw e;
    }
  }

  private ServerContexts buildServerContexts() throws SSLException {
    ListenerConfig listener = config.listener();
    List<ServerContexts.ByName> byName = new ArrayList<>();
    for (int i = 0; i < sniServing.size(); i++) {
      byName.add(new ServerContexts.ByName(listener.sni().get(i).serverNames(),
          TlsContexts.server(sniServing.get(i), clientCas, listener.tlsPolicy())));
    }
    return new ServerContexts(TlsContexts.server(serving, clientCas, listener.tlsPolicy()), byName);
  }

  private static List<Path> files(Path cert, Path key, Optional<Path> passphrase) {
    List<Path> files = new ArrayList<>(List.of(cert, key));
    passphrase.ifPresent(files::add);
    return files;
  }

  /** Reloads every watched file now (SIGHUP); completes when done. */
  public CompletableFuture<Void> reload() {
    return reloader.reload();
  }

  @Override
  public void close() {
    reloader.close();
  }
}
