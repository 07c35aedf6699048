package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class RefusingTrustManagerTest {
  @Test
  void trustsNothingAndAdvertisesNoIssuer() {
    RefusingTrustManager tm = RefusingTrustManager.INSTANCE;
    X509Certificate[] none = new X509Certificate[0];
    assertThatThrownBy(() -> tm.checkClientTrusted(none, "RSA")).isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> tm.checkClientTrusted(none, "RSA", (javax.net.ssl.SSLEngine) null))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> tm.checkServerTrusted(none, "RSA")).isInstanceOf(CertificateException.class);
    assertThat(tm.getAcceptedIssuers()).isEmpty();
  }
}
