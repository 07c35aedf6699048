package io.apilb.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One extra serving certificate, presented to clients whose SNI is one of {@code serverNames}
 * ({@code apilb.listener.tls.sni[i]}).
 *
 * @param configKey where it was configured, for messages ({@code apilb.listener.tls.sni[0]})
 */
public record SniCertificate(ServerNames serverNames, Path certFile, Path keyFile, Optional<Path> keyPassphraseFile,
    String configKey) {
  public SniCertificate {
    Objects.requireNonNull(serverNames, "serverNames");
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    Objects.requireNonNull(keyPassphraseFile, "keyPassphraseFile");
    Objects.requireNonNull(configKey, "configKey");
  }
}
