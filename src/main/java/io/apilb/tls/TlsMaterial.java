package io.apilb.tls;

import io.apilb.config.ApilbConfig;
import io.apilb.config.BackendTlsConfig;
import io.apilb.config.ConfigError;
import io.apilb.config.ConfigException;
import io.apilb.config.ListenerConfig;
import io.apilb.config.AdminConfig;
import io.apilb.config.SniCertificate;
import io.apilb.config.TlsPolicy;
import io.apilb.tls.TlsContexts.KeyMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every certificate and key the configuration names, read at start-up. Problems are reported as
 * configuration errors that name the key and the file.
 *
 * @param serving the listener's certificate chain and key
 * @param backendCa CAs that signed the backends' serving certificates
 * @param clientCas CAs client certificates are verified against; empty when client
 *     certificates are off ({@code client-auth = none}, or {@code auto} without the CA file)
 * @param proxyClient the front-proxy client certificate; present exactly when {@code clientCas} is
 * @param sniServing the certificates of {@code apilb.listener.tls.sni}, in the same order
 * @param adminServing the admin port's certificate, when it speaks HTTPS
 */
public record TlsMaterial(
    KeyMaterial serving,
    List<X509Certificate> backendCa,
    List<X509Certificate> clientCas,
    Optional<KeyMaterial> proxyClient,
    List<KeyMaterial> sniServing,
    Optional<KeyMaterial> adminServing) {
  private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);

  public TlsMaterial {
    backendCa = List.copyOf(backendCa);
    clientCas = List.copyOf(clientCas);
    sniServing = List.copyOf(sniServing);
  }

  public boolean clientCertificates() {
    return !clientCas.isEmpty();
  }

  /** Reads everything; all problems are reported together. */
  public static TlsMaterial load(ApilbConfig config) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    String source = config.source().map(Path::toString).orElse("<config>");
    ListenerConfig listener = config.listener();
    BackendTlsConfig backend = config.backendTls();
    KeyMaterial serving = null;
    try {
      serving = KeyMaterial.load(listener.certFile(), listener.keyFile(), listener.keyPassphraseFile());
    } catch (TlsMaterialException e) {
      errors.add(new ConfigError("apilb.listener.tls", source, -1, e.getMessage()));
    }
    List<X509Certificate> backendCa = List.of();
    try {
      backendCa = PemFiles.readCertificates(backend.caFile());
    } catch (TlsMaterialException e) {
      errors.add(new ConfigError("apilb.backend-tls.ca-file", source, -1, e.getMessage() + pkiHint(config, backend.caFile())));
    }
    List<X509Certificate> clientCas = List.of();
    Optional<KeyMaterial> proxyClient = Optional.empty();
    if (clientCertificatesWanted(listener)) {
      try {
        clientCas = PemFiles.readCertificates(listener.clientCaFile());
      } catch (TlsMaterialException e) {
        errors.add(new ConfigError("apilb.listener.tls.client-ca-file", source, -1,
            e.getMessage() + pkiHint(config, listener.clientCaFile())));
      }
      try {
        proxyClient = Optional.of(KeyMaterial.load(backend.proxyClientCertFile(), backend.proxyClientKeyFile(),
            backend.proxyClientKeyPassphraseFile()));
      } catch (TlsMaterialException e) {
        errors.add(new ConfigError("apilb.backend-tls.proxy-client-cert-file", source, -1,
            e.getMessage() + " (needed to pass client certificate identities to the backends"
                + pkiHint(config, backend.proxyClientCertFile()) + "; or set apilb.listener.tls.client-auth = none)"));
      }
    }
    List<KeyMaterial> sniServing = new ArrayList<>();
    for (SniCertificate sni : listener.sni()) {
      try {
        sniServing.add(KeyMaterial.load(sni.certFile(), sni.keyFile(), sni.keyPassphraseFile()));
      } catch (TlsMaterialException e) {
        errors.add(new ConfigError(sni.configKey(), source, -1, e.getMessage()));
      }
    }
    Optional<KeyMaterial> admin = Optional.empty();
    AdminConfig a = config.admin();
    if (a.tls()) {
      try {
        admin = Optional.of(KeyMaterial.load(a.certFile().get(), a.keyFile().get()));
      } catch (TlsMaterialException e) {
        errors.add(new ConfigError("apilb.admin.tls", source, -1, e.getMessage()));
      }
    }
    checkCipherSuites(listener.tlsPolicy(), source, errors);
    checkCipherSuites(backend.tlsPolicy(), source, errors);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new TlsMaterial(serving, backendCa, clientCas, proxyClient, sniServing, admin);
  }

  /** An unknown suite is a configuration error naming the key, the file and the provider. */
  private static void checkCipherSuites(TlsPolicy policy, String source, List<ConfigError> errors) {
    List<String> unknown = TlsContexts.unknownCipherSuites(policy.cipherSuites());
    for (String suite : unknown) {
      int index = policy.cipherSuites().indexOf(suite);
      errors.add(new ConfigError(policy.configKey() + ".cipher-suites[" + index + "]", source, -1,
          "unknown cipher suite \"" + suite + "\" (not supported by the " + TlsContexts.provider()
              + " TLS provider in use)"));
    }
  }

  private static boolean clientCertificatesWanted(ListenerConfig listener) {
    return switch (listener.clientAuth()) {
      case NONE -> false;
      case OPTIONAL -> true;
      case AUTO -> {
        boolean present = Files.exists(listener.clientCaFile());
        if (!present) {
          log.info("client certificates are off: {} does not exist (client-auth = auto)", listener.clientCaFile());
        }
        yield present;
      }
    };
  }

  private static String pkiHint(ApilbConfig config, Path file) {
    return file.startsWith(config.pkiDir()) ? ", derived from apilb.pki-dir = " + config.pkiDir() : "";
  }
}
