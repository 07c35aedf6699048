package io.apilb.controlplane;

import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.apilb.config.ControlPlaneConfig;
import io.apilb.config.IdentityConfig;
import io.apilb.tls.TlsContexts;
import io.apilb.tls.TlsContexts.KeyMaterial;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * apilb's identity towards the API, from {@code apilb.api-identity}: a bearer token file, a
 * kubeconfig's user, or (the default) the front-proxy client certificate asserting
 * {@code user} and {@code groups} in the request-header names of {@code apilb.identity}, as
 * apilb does for its clients' certificates. Without a front-proxy certificate the reads are
 * anonymous (and a warning says so).
 *
 * <p>{@link #current()} may read a token file: control thread only.
 */
public final class ApiCredentials {
  private final Supplier<ApiCredential> source;

  private ApiCredentials(Supplier<ApiCredential> source) {
    this.source = source;
  }

  /** The credential for the next request (re-reads a token file, so a rotated token is used). */
  public ApiCredential current() {
    return source.get();
  }

  /**
   * @param anonymous the backend context without a client certificate
   * @param frontProxy the front-proxy context in force (it rotates), if configured
   * @param trust the backend CA bundle, for a kubeconfig's client certificate
   */
  public static ApiCredentials of(ControlPlaneConfig config, IdentityConfig identity, SslContext anonymous,
      Supplier<Optional<SslContext>> frontProxy, List<X509Certificate> trust) throws IOException {
    if (config.tokenFile().isPresent()) {
      Path file = config.tokenFile().get();
      return new ApiCredentials(() -> bearer(anonymous, readToken(file), "token from " + file));
    }
    if (config.kubeconfig().isPresent()) {
      return fromKubeconfig(config.kubeconfig().get(), anonymous, trust);
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    headers.add(Map.entry(identity.userHeader(), config.user()));
    config.groups().forEach(g -> headers.add(Map.entry(identity.groupHeader(), g)));
    return new ApiCredentials(() -> frontProxy.get()
        .map(ctx -> new ApiCredential(ctx, headers, "front-proxy certificate as " + config.user()))
        .orElseGet(() -> new ApiCredential(anonymous, List.of(), "anonymous (no front-proxy certificate)")));
  }

  private static ApiCredential bearer(SslContext ctx, String token, String description) {
    return new ApiCredential(ctx, List.of(Map.entry("Authorization", "Bearer " + token)), description);
  }

  private static String readToken(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read apilb.api-identity.token-file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The current context's user: token, tokenFile, or client certificate and key (files or -data). */
  static ApiCredentials fromKubeconfig(Path file, SslContext anonymous, List<X509Certificate> trust)
      throws IOException {
    JsonValue kc;
    try (var parser = new YAMLFactory().createParser(file.toFile())) {
      kc = JsonValue.parse(parser);
    }
    String context = kc.path("current-context").asText();
    String userName = "";
    for (JsonValue c : kc.path("contexts")) {
      if (c.path("name").asText().equals(context)) {
        userName = c.path("context").path("user").asText();
      }
    }
    JsonValue user = null;
    for (JsonValue u : kc.path("users")) {
      if (u.path("name").asText().equals(userName)) {
        user = u.path("user");
      }
    }
    if (user == null) {
      throw new IOException(file + ": no user for current-context \"" + context + "\"");
    }
    Path dir = file.toAbsolutePath().getParent();
    String what = "user " + userName + " of kubeconfig " + file;
    if (user.hasNonNull("token")) {
      String token = user.path("token").asText();
      return new ApiCredentials(() -> bearer(anonymous, token, what));
    }
    if (user.hasNonNull("tokenFile")) {
      Path tokenFile = dir.resolve(user.path("tokenFile").asText());
      return new ApiCredentials(() -> bearer(anonymous, readToken(tokenFile), what));
    }
    Path cert = pemFile(user, "client-certificate", dir);
    Path key = pemFile(user, "client-key", dir);
    if (cert == null || key == null) {
      throw new IOException(file + ": " + what + " has no token, tokenFile or client-certificate and client-key");
    }
    SslContext ctx = TlsContexts.backendClient(trust, Optional.of(loadKey(cert, key)));
    ApiCredential credential = new ApiCredential(ctx, List.of(), "client certificate of " + what);
    return new ApiCredentials(() -> credential);
  }

  private static KeyMaterial loadKey(Path cert, Path key) throws IOException {
    try {
      return KeyMaterial.load(cert, key);
    } catch (io.apilb.tls.TlsMaterialException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The PEM file of {@code field}, or of {@code field-data} written to a private temporary file. */
  private static Path pemFile(JsonValue user, String field, Path dir) throws IOException {
    if (user.hasNonNull(field)) {
      return dir.resolve(user.path(field).asText());
    }
    if (user.hasNonNull(field + "-data")) {
      Path tmp = Files.createTempFile("apilb-kubeconfig-", ".pem",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      tmp.toFile().deleteOnExit();
      Files.write(tmp, Base64.getDecoder().decode(user.path(field + "-data").asText()));
      return tmp;
    }
    return null;
  }
}
