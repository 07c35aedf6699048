package io.apilb.testing;

import static org.awaitility.Awaitility.await;

import io.apilb.cli.ApilbRuntime;
import io.apilb.config.ConfigLoader;
import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.tls.PemFiles;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * apilb in front of {@link RecordingBackend}s (raw HTTP/1.1 over TLS, malformed answers on
 * demand), with raw TLS sockets for hostile clients. {@link #startLeakWatch()} and
 * {@link #assertNoLeaks(String)} apply the same paranoid leak check as {@link LeakDetectionExtension},
 * for a check at a chosen point (e.g. after the fixture closed, in {@code @AfterAll}).
 */
public final class HostileFixture implements AutoCloseable {
  public final Path dir;
  public final Issued ca;
  public final List<RecordingBackend> backends = new ArrayList<>();
  public final ApilbRuntime apilb;
  private final SSLContext clientSsl;

  private HostileFixture(int count, String extraConfig) throws Exception {
    dir = Files.createTempDirectory("apilb-hostile");
    ca = CertificateIssuer.selfSignedCa("hostile-ca", Duration.ofDays(1));
    PemFiles.writeCertificates(dir.resolve("ca.crt"), ca.certificate());
    Issued serving = CertificateIssuer.issue(ca, LeafSpec.server("apilb", List.of("localhost"),
        List.of("127.0.0.1"), Duration.ofDays(1)));
    PemFiles.writeCertificates(dir.resolve("apilb.crt"), serving.certificate());
    PemFiles.writePrivateKey(dir.resolve("apilb.key"), serving.privateKey());
    StringBuilder list = new StringBuilder();
    for (int i = 1; i <= count; i++) {
      Issued cert = CertificateIssuer.issue(ca, LeafSpec.server("kube-apiserver", List.of("localhost"),
          List.of("127.0.0.1"), Duration.ofDays(1)));
      RecordingBackend b = new RecordingBackend(cert.keyMaterial());
      backends.add(b);
      list.append("{ name = \"rb").append(i).append("\", address = \"127.0.0.1:").append(b.port()).append("\" }\n");
    }
    Files.writeString(dir.resolve("apilb.conf"), """
        apilb {
          listener { address = "127.0.0.1", port = 0, tls { cert-file = "%1$s/apilb.crt", key-file = "%1$s/apilb.key" } }
          backends = [
        %2$s  ]
          backend-tls.ca-file = "%1$s/ca.crt"
          health { interval = 300ms, timeout = 250ms, rise = 1, fall = 3 }
          admin { address = "127.0.0.1", port = 0 }
          proxy { request-timeout = 4s, connect-timeout = 2s }
          outlier-detection.consecutive-failures = 0
          # apilb's own API reads (Leases, /version) open backend connections and send requests
          # the recording backends would count; these tests measure the proxy path alone
          control-plane { lease-interval = 0, version-interval = 0 }
        }
        %3$s
        """.formatted(dir, list, extraConfig));
    apilb = ApilbRuntime.start(ConfigLoader.load(dir.resolve("apilb.conf")));
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    clientSsl = SSLContext.getInstance("TLS");
    clientSsl.init(null, tmf.getTrustManagers(), null);
  }

  /** Starts {@code count} recording backends and apilb, and waits until all are ready. */
  public static HostileFixture start(int count, String extraConfig) throws Exception {
    HostileFixture f = new HostileFixture(count, extraConfig);
    try {
      f.awaitAllReady();
    } catch (RuntimeException | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  public void awaitAllReady() {
    await().atMost(Duration.ofSeconds(15)).until(() -> apilb.backends().snapshot().ready().size() == backends.size());
  }

  public int port() {
    return apilb.listenerAddress().getPort();
  }

  public List<RecordingBackend.Recorded> requestsWith(String param, String value) {
    return backends.stream().flatMap(b -> b.requestsWith(param, value).stream()).toList();
  }

  public List<RecordingBackend.Recorded> allRequests() {
    return backends.stream().flatMap(b -> b.requests().stream()).toList();
  }

  public int backendHandshakes() {
    return backends.stream().mapToInt(RecordingBackend::handshakes).sum();
  }

  /** Backend TLS handshakes on connections that carried no health probe: the proxy path's alone. */
  public int proxiedHandshakes() {
    return backends.stream().mapToInt(RecordingBackend::proxiedHandshakes).sum();
  }

  /** A TLS socket to apilb with ALPN {@code protocol} ("http/1.1" or "h2"), handshake done. */
  public SSLSocket openTls(String protocol) throws Exception {
    SSLSocket s = (SSLSocket) clientSsl.getSocketFactory().createSocket("127.0.0.1", port());
    SSLParameters params = s.getSSLParameters();
    params.setApplicationProtocols(new String[] {protocol});
    s.setSSLParameters(params);
    s.setSoTimeout(5_000);
    s.setTcpNoDelay(true);
    s.startHandshake();
    return s;
  }

  /** The client TLS context (trusts the fixture CA), for sockets built by hand. */
  public SSLContext clientSsl() {
    return clientSsl;
  }

  public long counter(String name) {
    return apilb.metrics().registry().counter(name).getCount();
  }

  @Override
  public void close() {
    try {
      apilb.close();
    } finally {
      backends.forEach(RecordingBackend::close);
    }
  }

  /** Installs the recording leak detector (idempotent) and forgets earlier reports. */
  public static void startLeakWatch() {
    new LeakDetectionExtension().beforeAll((ExtensionContext) null);
  }

  /** Forces a GC and fails if Netty reported a leaked buffer since {@link #startLeakWatch()}. */
  public static void assertNoLeaks(String where) throws InterruptedException {
    List<String> leaks = LeakDetectionExtension.leaks();
    for (int i = 0; i < 3 && leaks.isEmpty(); i++) {
      System.gc();
      Thread.sleep(50);
      for (int j = 0; j < 64; j++) { // reports are drained when a tracked buffer is created
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(8);
        b.release();
      }
    }
    if (!leaks.isEmpty()) {
      String report = String.join("\n\n", leaks);
      leaks.clear();
      throw new AssertionError("Netty ByteBuf leak detected in " + where + ":\n" + report);
    }
  }
}
