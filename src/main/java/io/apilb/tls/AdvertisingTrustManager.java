package io.apilb.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The listener's trust manager when client certificates are requested: it lists the client CAs
 * as accepted issuers, so the TLS CertificateRequest names them and JSSE clients (fabric8, the
 * official Java client) pick their kubeconfig certificate, but it accepts any chain at the TLS
 * layer, as kube-apiserver does ({@code tls.RequestClientCert}). The handshake still proves the
 * client holds the key; {@link ClientCertificateVerifier} then decides, so that a bad
 * certificate becomes a 401 Status, or falls back to a bearer token, instead of a handshake
 * failure.
 */
public final class AdvertisingTrustManager extends ListenerTrustManager {
  private final X509Certificate[] issuers;

  public AdvertisingTrustManager(List<X509Certificate> issuers) {
    this.issuers = issuers.toArray(new X509Certificate[0]);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {
    // verified per connection by ClientCertificateVerifier
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return issuers.clone();
  }
}
