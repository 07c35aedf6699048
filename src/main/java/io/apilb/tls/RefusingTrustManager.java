package io.apilb.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The listener's trust manager when no client CA is configured, so no client certificate is
 * asked for. It is never consulted then; it exists because a server context built without one
 * gets the JDK's default: the whole {@code cacerts} bundle, some 140 parsed certificates and the
 * classes that parse them, resident for the life of the process (about 3 MiB of a sidecar's
 * idle heap) for nothing. Should it ever be asked, it trusts nothing.
 */
final class RefusingTrustManager extends X509ExtendedTrustManager {
  static final RefusingTrustManager INSTANCE = new RefusingTrustManager();

  private RefusingTrustManager() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("no client CA is configured: client certificates are not accepted");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("this trust manager only serves the listener");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
