package io.apilb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.config.AdminConfig;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import io.apilb.admin.AdminAccess;
import io.apilb.tls.PemFiles;
import io.apilb.tls.TlsMaterialException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apilb status}: the backends of a running apilb as a table, read from its admin port
 * ({@code GET /backends}). {@code --livez} and {@code --readyz} only check the admin endpoint of
 * that name and report it in the exit code, for container health checks and scripts.
 *
 * <p>Exit codes: 0 ok; 1 the admin port is unreachable, answers an error, or (with {@code --livez}
 * or {@code --readyz}) reports not live or not ready; 2 usage or configuration error.
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Show the backends of a running apilb, read from its admin port.")
final class StatusCommand implements Callable<Integer> {
  static final List<String> COLUMNS = List.of(
      "NAME", "ADDRESS", "STATE", "FLAGS", "IN-FLIGHT", "LONG-RUNNING", "REQUESTS", "LAST-PROBE", "REASON");

  @Spec
  CommandSpec spec;

  @Option(names = "--admin", paramLabel = "URL",
      description = "admin base URL (default: from --config, else reference.conf's apilb.admin.*: http://127.0.0.1:9445)")
  URI admin;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:APILB_CONFIG}",
      description = "take the admin address and port from this configuration file (default: $APILB_CONFIG when set)")
  Path config;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "file with the admin bearer token (default: apilb.admin.token-file of --config)")
  Path tokenFile;

  @Option(names = "--admin-ca", paramLabel = "FILE",
      description = "PEM CA (or the certificate itself) to trust for an https:// admin port "
          + "(default: apilb.admin.tls.cert-file of --config)")
  Path adminCa;

  @Option(names = "--json", description = "print the /backends JSON instead of a table")
  boolean json;

  @Option(names = "--livez", description = "only check /livez: exit 0 when apilb is live, 1 otherwise")
  boolean livez;

  @Option(names = "--readyz", description = "only check /readyz: exit 0 when at least one backend is ready, 1 otherwise")
  boolean readyz;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
      description = "connect and response timeout, e.g. 500ms or 5s (default: ${DEFAULT-VALUE})")
  String timeout;

  private final ObjectMapper mapper = new ObjectMapper();

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration limit;
    URI base;
    try {
      limit = parseDuration(timeout);
      base = baseUri();
    } catch (IllegalArgumentException e) {
      err.println("apilb status: " + e.getMessage());
      return 2;
    } catch (ConfigException e) {
      err.println(config + ": " + e.errors().size() + " error(s)");
      e.errors().forEach(x -> err.println("  " + x.render()));
      return 2;
    }
    String path = livez ? "/livez" : readyz ? "/readyz" : "/backends";
    HttpResponse<String> res;
    try {
      res = get(base.resolve(path), limit);
    } catch (TlsMaterialException e) {
      err.println("apilb status: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("apilb status: cannot reach the admin port at " + base + " ("
          + describe(e) + "). Is apilb running, and is --admin or --config right?");
      return 1;
    }
    if (livez || readyz) {
      (res.statusCode() == 200 ? out : err).println(path + ": " + res.statusCode() + " " + res.body().strip());
      return res.statusCode() == 200 ? 0 : 1;
    }
    if (res.statusCode() != 200) {
      err.println("apilb status: " + base.resolve(path) + " answered " + res.statusCode() + ": " + res.body().strip());
      return 1;
    }
    try {
      JsonNode backends = mapper.readTree(res.body());
      out.print(json ? mapper.writerWithDefaultPrettyPrinter().writeValueAsString(backends) + "\n"
          : table(backends, Instant.now()));
    } catch (IOException e) {
      err.println("apilb status: " + base.resolve(path) + " did not return JSON: " + e.getMessage());
      return 1;
    }
    out.flush();
    return 0;
  }

  /** The admin base URL: --admin, else the admin listener of --config, else reference.conf's defaults. */
  URI baseUri() throws ConfigException {
    if (admin != null) {
      if (!("http".equals(admin.getScheme()) || "https".equals(admin.getScheme())) || admin.getHost() == null) {
        throw new IllegalArgumentException("--admin must be an http:// or https:// URL with a host, not " + admin);
      }
      String s = admin.toString();
      return URI.create(s.endsWith("/") ? s : s + "/");
    }
    AdminConfig a = config != null ? ConfigLoader.load(config).admin() : AdminConfig.defaults();
    if (tokenFile == null) {
      tokenFile = a.tokenFile().orElse(null);
    }
    if (adminCa == null) {
      adminCa = a.certFile().orElse(null);
    }
    String host = a.address();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isEmpty()) {
      host = "127.0.0.1"; // a wildcard bind is reachable on loopback
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return URI.create((a.tls() ? "https://" : "http://") + host + ":" + a.port() + "/");
  }

  private HttpResponse<String> get(URI uri, Duration limit)
      throws IOException, InterruptedException, TlsMaterialException {
    HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(limit);
    if ("https".equals(uri.getScheme()) && adminCa != null) {
      client.sslContext(trusting(adminCa));
    }
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(limit).header("Accept", "application/json, text/plain");
    if (tokenFile != null) {
      req.header("Authorization", "Bearer " + AdminAccess.readToken(tokenFile));
    }
    return client.build().send(req.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Trusts the certificates in {@code pem}: the admin port's CA, or its own certificate. */
  private static SSLContext trusting(Path pem) throws TlsMaterialException {
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : PemFiles.readCertificates(pem)) {
        ks.setCertificateEntry("admin-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new TlsMaterialException("cannot trust " + pem + ": " + e.getMessage());
    }
  }

  private static String describe(IOException e) {
    String name = e.getClass().getSimpleName();
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String msg = cause instanceof java.net.ConnectException && cause.getMessage() == null ? "connection refused"
        : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    return name.equals("HttpConnectTimeoutException") || name.equals("HttpTimeoutException") ? "timed out" : msg;
  }

  /** Renders the /backends array as aligned columns; the last column (REASON) is not padded. */
  static String table(JsonNode backends, Instant now) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(COLUMNS);
    for (JsonNode b : backends) {
      List<String> flags = new ArrayList<>();
      b.path("flags").forEach(f -> flags.add(f.asText()));
      rows.add(List.of(
          b.path("name").asText(),
          b.path("address").asText(),
          b.path("state").asText(),
          flags.isEmpty() ? "-" : String.join(",", flags),
          b.path("inFlight").asText("0"),
          b.path("activeLongRunning").asText("0"),
          b.path("requests").asText("0"),
          lastProbe(b, now),
          b.path("reason").asText("")));
    }
    int[] width = new int[COLUMNS.size()];
    rows.forEach(r -> {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    });
    StringBuilder sb = new StringBuilder();
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        boolean last = i == r.size() - 1;
        sb.append(last ? r.get(i) : String.format("%-" + width[i] + "s   ", r.get(i)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String lastProbe(JsonNode b, Instant now) {
    String result = b.path("lastProbe").asText("none");
    JsonNode at = b.get("lastProbeAt");
    if (at == null || at.isNull()) {
      return result;
    }
    try {
      return result + " " + age(Duration.between(Instant.parse(at.asText()), now)) + " ago";
    } catch (DateTimeParseException e) {
      return result;
    }
  }

  /** kubectl-style age: 850ms, 12s, 5m, 3h, 2d. */
  static String age(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 1000) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s < 120) {
      return s + "s";
    }
    if (s < 7200) {
      return s / 60 + "m";
    }
    return s < 172800 ? s / 3600 + "h" : s / 86400 + "d";
  }

  /** 500ms, 5s, 1m, or a bare number of seconds. */
  static Duration parseDuration(String text) {
    String t = text.strip();
    try {
      if (t.endsWith("ms")) {
        return positive(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), text);
      }
      if (t.endsWith("s")) {
        return positive(Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1))), text);
      }
      if (t.endsWith("m")) {
        return positive(Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1))), text);
      }
      return positive(Duration.ofSeconds(Long.parseLong(t)), text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--timeout: not a duration: " + text + " (use 500ms, 5s or 1m)");
    }
  }

  private static Duration positive(Duration d, String text) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("--timeout must be positive, not " + text);
    }
    return d;
  }
}
