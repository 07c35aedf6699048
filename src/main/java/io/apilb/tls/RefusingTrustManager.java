package io.apilb.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * The listener's trust manager when no client CA is configured, so no client certificate is
 * asked for. It is never consulted then; it exists because a server context built without one
 * gets the JDK's default: the whole {@code cacerts} bundle, some 140 parsed certificates and the
 * classes that parse them, resident for the life of the process (about 3 MiB of a sidecar's
 * idle heap) for nothing. Should it ever be asked, it trusts nothing.
 */
final class RefusingTrustManager extends ListenerTrustManager {
  static final RefusingTrustManager INSTANCE = new RefusingTrustManager();

  private RefusingTrustManager() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("no client CA is configured: client certificates are not accepted");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
