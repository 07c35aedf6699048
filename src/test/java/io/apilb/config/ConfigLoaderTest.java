package io.apilb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

  /** Only the required keys. */
  private static final String MINIMAL = """
      apilb {
        listener.tls { cert-file = "/etc/apilb/apilb.crt", key-file = "/etc/apilb/apilb.key" }
        backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
        backend-tls.ca-file = "/etc/kubernetes/pki/ca.crt"
      }
      """;

  @TempDir Path dir;

  @Test
  void appliesReferenceDefaultsToEveryOptionalKey() throws Exception {
    ApilbConfig config = ConfigLoader.parse(MINIMAL, "test");

    assertThat(config.source()).isEmpty();
    assertThat(config.listener())
        .isEqualTo(new ListenerConfig("0.0.0.0", 6443, Path.of("/etc/apilb/apilb.crt"),
            Path.of("/etc/apilb/apilb.key"), 250, ClientAuthMode.AUTO, Path.of("/etc/kubernetes/pki/ca.crt"),
            Optional.empty()));
    assertThat(config.listener().timeouts()).isEqualTo(new ListenerTimeouts(Duration.ofSeconds(10),
        Duration.ofSeconds(90), Duration.ofSeconds(30)));
    assertThat(config.listener().limits()).isEqualTo(new ListenerLimits(20_000, 1_000));
    assertThat(config.backends()).containsExactly(new BackendConfig("cp1", "10.0.0.11", 6443, 1));
    assertThat(config.backendTls())
        .isEqualTo(new BackendTlsConfig(Path.of("/etc/kubernetes/pki/ca.crt"), Optional.empty(),
            Path.of("/etc/kubernetes/pki/front-proxy-client.crt"), Path.of("/etc/kubernetes/pki/front-proxy-client.key"),
            Optional.empty()));
    assertThat(config.identity()).isEqualTo(IdentityConfig.KUBEADM);
    assertThat(config.pkiDir()).isEqualTo(Path.of("/etc/kubernetes/pki"));
    assertThat(config.certificateReloadInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.health())
        .isEqualTo(new HealthConfig("/readyz", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 2, 0.1));
    assertThat(config.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9445));
    assertThat(config.proxy())
        .isEqualTo(new ProxyConfig(Duration.ofSeconds(3), Duration.ofSeconds(60), 8192, 32768,
            Duration.ofSeconds(60), 256, 65536, Duration.ofSeconds(30), Duration.ZERO, 16 << 20));
  }

  @Test
  void mapsEveryKeyOfAFullFileToTheRecords() throws Exception {
    Path file = write("full.conf", """
        apilb {
          listener {
            address = "::"
            port = 7443
            max-concurrent-streams = 500
            timeouts { request-header = 5s, idle = 0, request-body-idle = 2m }
            limits { max-connections = 100, max-connections-per-source = 0 }
            tls {
              cert-file = "/pki/lb.crt", key-file = "/pki/lb.key", key-passphrase-file = "/pki/lb.pass"
              client-auth = none, client-ca-file = "/pki/clients.crt"
            }
          }
          pki-dir = "/nowhere"
          certificate-reload-interval = 0
          backends = [
            { name = "cp1", address = "10.0.0.11:6443" }
            { name = "cp-2", address = "[fd00::12]:6444", weight = 3 }
            { name = "cp3", address = "cp3.example.internal:443" }
          ]
          backend-tls {
            ca-file = "/pki/ca.crt", server-name = "kubernetes.default.svc"
            proxy-client-cert-file = "/pki/lb-proxy.crt", proxy-client-key-file = "/pki/lb-proxy.key"
            proxy-client-key-passphrase-file = "/pki/lb-proxy.pass"
          }
          identity {
            user-header = "X-User", group-header = "X-Group", uid-header = "X-Uid"
            extra-header-prefix = "X-Extra-", send-uid = true, send-credential-id = yes
          }
          health { path = "/livez", interval = 5s, timeout = 1500ms, rise = 3, fall = 4, jitter = 0.25 }
          admin { address = "0.0.0.0", port = 0 }
          proxy {
            connect-timeout = 1s
            request-timeout = 0
            max-initial-line-length = 16KiB
            max-header-size = 65536
            backend-idle-timeout = 30s
            max-idle-per-backend = 0
            retry-buffer-bytes = 0
          }
        }
        """);

    ApilbConfig config = ConfigLoader.load(file);

    assertThat(config.source()).contains(file);
    assertThat(config.listener())
        .isEqualTo(new ListenerConfig("::", 7443, Path.of("/pki/lb.crt"), Path.of("/pki/lb.key"), 500,
            ClientAuthMode.NONE, Path.of("/pki/clients.crt"), Optional.of(Path.of("/pki/lb.pass")))
            .withTimeoutsAndLimits(new ListenerTimeouts(Duration.ofSeconds(5), Duration.ZERO, Duration.ofMinutes(2)),
                new ListenerLimits(100, 0)));
    assertThat(config.backends()).containsExactly(
        new BackendConfig("cp1", "10.0.0.11", 6443, 1),
        new BackendConfig("cp-2", "fd00::12", 6444, 3),
        new BackendConfig("cp3", "cp3.example.internal", 443, 1));
    assertThat(config.backends().get(1).address()).isEqualTo("[fd00::12]:6444");
    assertThat(config.backendTls())
        .isEqualTo(new BackendTlsConfig(Path.of("/pki/ca.crt"), Optional.of("kubernetes.default.svc"),
            Path.of("/pki/lb-proxy.crt"), Path.of("/pki/lb-proxy.key"), Optional.of(Path.of("/pki/lb-proxy.pass"))));
    assertThat(config.identity())
        .isEqualTo(new IdentityConfig("X-User", "X-Group", "X-Uid", "X-Extra-", true, true));
    assertThat(config.pkiDir()).isEqualTo(Path.of("/nowhere"));
    assertThat(config.certificateReloadInterval()).isEqualTo(Duration.ZERO);
    assertThat(config.health())
        .isEqualTo(new HealthConfig("/livez", Duration.ofSeconds(5), Duration.ofMillis(1500), 3, 4, 0.25));
    assertThat(config.admin()).isEqualTo(new AdminConfig("0.0.0.0", 0));
    assertThat(config.proxy())
        .isEqualTo(new ProxyConfig(Duration.ofSeconds(1), Duration.ZERO, 16384, 65536,
            Duration.ofSeconds(30), 0, 0, Duration.ofSeconds(30), Duration.ZERO, 16 << 20));
  }

  @Test
  void reportsEveryErrorAtOnceWithKeyPathFileAndLine() throws Exception {
    Path file = write("bad.conf", """
        apilb {
          listener.port = "abc"
          backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
          health {
            rise = 0
            jitter = 0.7
            interval = -1s
          }
          admin.port = 70000
          proxy.connect-timeout = 3
        }
        """);

    List<ConfigError> errors = errorsOf(() -> ConfigLoader.load(file));

    String name = file.toString();
    assertThat(errors).extracting(ConfigError::render).containsExactlyInAnyOrder(
        name + ":2: apilb.listener.port: must be an integer (got \"abc\")",
        name + ": apilb.listener.tls.cert-file: is required",
        name + ": apilb.listener.tls.key-file: is required",
        name + ":5: apilb.health.rise: must be >= 1 (got 0)",
        name + ":6: apilb.health.jitter: must be between 0.0 and 0.5 (got 0.7)",
        name + ":7: apilb.health.interval: must be positive (got \"-1s\")",
        name + ":9: apilb.admin.port: must be between 0 and 65535 (got 70000)",
        name + ":10: apilb.proxy.connect-timeout: needs a unit, for example 2s or 500ms (got 3)");
  }

  @Test
  void exceptionMessageListsEveryRenderedError() {
    List<ConfigError> errors = List.of(
        new ConfigError("apilb.health.rise", "conf/apilb.conf", 12, "must be >= 1 (got 0)"),
        new ConfigError("apilb.backend-tls.ca-file", "conf/apilb.conf", -1, "is required"));

    ConfigException e = new ConfigException(errors);

    assertThat(e.errors()).isEqualTo(errors);
    assertThat(e.getMessage()).isEqualTo("""
        invalid configuration (2 errors):
          conf/apilb.conf:12: apilb.health.rise: must be >= 1 (got 0)
          conf/apilb.conf: apilb.backend-tls.ca-file: is required""");
  }

  @Test
  void reportsUnknownKeysWithTheClosestKnownKey() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL + """
        apilb.health.intervall = 3s
        apilb.listener.connect-timeout = 2s
        apilb.proxy.maxHeaderSize = 1024
        apilb.admin.colour = blue
        apilb.backends = [ { nmae = "cp1", address = "10.0.0.11:6443", zone = "a" } ]
        apilbb.admin.port = 1
        """, "extra.conf"));

    assertThat(errors).extracting(ConfigError::render).containsExactlyInAnyOrder(
        "extra.conf:6: apilb.health.intervall: unknown key, did you mean apilb.health.interval?",
        "extra.conf:7: apilb.listener.connect-timeout: unknown key, did you mean apilb.proxy.connect-timeout?",
        "extra.conf:8: apilb.proxy.maxHeaderSize: unknown key, did you mean apilb.proxy.max-header-size?",
        "extra.conf:9: apilb.admin.colour: unknown key",
        "extra.conf:10: apilb.backends[0].nmae: unknown key, did you mean apilb.backends[0].name?",
        "extra.conf:10: apilb.backends[0].zone: unknown key (allowed: name, address, weight)",
        "extra.conf:10: apilb.backends[0].name: is required",
        "extra.conf:11: apilbb: unknown key, did you mean apilb?");
  }

  @Test
  void reportsAnObjectReplacedByAScalarOnceWithoutCascading() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL + "apilb.health = 5\n", "t"));

    assertThat(errors).extracting(ConfigError::render)
        .containsExactly("t:6: apilb.health: must be an object (got 5)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10.0.0.11         | needs a port, for example 10.0.0.11:6443",
      "10.0.0.11:        | needs a numeric port after the last ':'",
      "10.0.0.11:70000   | has port 70000, outside 1-65535",
      "10.0.0.11:0       | has port 0, outside 1-65535",
      "fd00::11:6443     | IPv6 addresses need brackets, for example [fd00::11]:6443",
      "[fd00::11]        | needs a port, for example [fd00::11]:6443",
      "[fd00::11:6443    | has no closing ']' for its IPv6 address",
      "https://cp1:6443  | must be host:port without a scheme or path",
      "cp_1:6443         | has an invalid host name or IPv4 address",
  })
  void rejectsMalformedBackendAddresses(String address, String problem) {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL
        + "apilb.backends = [ { name = cp1, address = \"" + address + "\" } ]\n", "t"));

    assertThat(errors).extracting(ConfigError::render)
        .containsExactly("t:6: apilb.backends[0].address: " + problem + " (got \"" + address + "\")");
  }

  @Test
  void rejectsDuplicateAndNonDnsLabelBackendNamesAndBadWeights() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL + """
        apilb.backends = [
          { name = "cp1", address = "10.0.0.11:6443" }
          { name = "cp1", address = "10.0.0.12:6443" }
          { name = "CP_3", address = "10.0.0.13:6443" }
          { name = "cp4", address = "10.0.0.14:6443", weight = 0 }
        ]
        """, "t"));

    assertThat(errors).extracting(ConfigError::render).containsExactly(
        "t:8: apilb.backends[1].name: duplicate backend name \"cp1\" (also used by apilb.backends[0])",
        "t:9: apilb.backends[2].name: must be a DNS label (lower-case letters, digits and '-', "
            + "starting and ending with a letter or digit, at most 63 characters; got \"CP_3\")",
        "t:10: apilb.backends[3].weight: must be >= 1 (got 0)");
  }

  @Test
  void requiresAtLeastOneBackend() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse("""
        apilb {
          listener.tls { cert-file = a.crt, key-file = a.key }
          backend-tls.ca-file = ca.crt
        }
        """, "t"));

    assertThat(errors).extracting(ConfigError::path, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("apilb.backends", "needs at least one backend"));
  }

  @Test
  void derivesEveryUnsetCertificatePathFromThePkiDirectory() throws Exception {
    Path file = write("kubeadm.conf", """
        apilb {
          pki-dir = "pki"
          listener.tls { cert-file = "/etc/apilb/apilb.crt", key-file = "/etc/apilb/apilb.key" }
          backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
        }
        """);

    ApilbConfig config = ConfigLoader.load(file);

    Path pki = dir.toAbsolutePath().resolve("pki");
    assertThat(config.pkiDir()).isEqualTo(pki);
    assertThat(config.listener().clientCaFile()).isEqualTo(pki.resolve("ca.crt"));
    assertThat(config.listener().clientAuth()).isEqualTo(ClientAuthMode.AUTO);
    assertThat(config.backendTls().caFile()).isEqualTo(pki.resolve("ca.crt"));
    assertThat(config.backendTls().proxyClientCertFile()).isEqualTo(pki.resolve("front-proxy-client.crt"));
    assertThat(config.backendTls().proxyClientKeyFile()).isEqualTo(pki.resolve("front-proxy-client.key"));
  }

  @Test
  void overridesTakePrecedenceOverTheFileWhoseRelativePathsStillResolveAgainstItsDirectory() throws Exception {
    Path file = write("ports.conf", """
        apilb {
          listener { port = 7443, tls { cert-file = "apilb.crt", key-file = "apilb.key" } }
          backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
          backend-tls.ca-file = "ca.crt"
          admin.port = 9445
        }
        """);

    ApilbConfig config = ConfigLoader.load(file, "apilb.listener.port = 0\napilb.admin.port = 0\n");

    assertThat(config.listener().port()).isZero();
    assertThat(config.admin().port()).isZero();
    assertThat(config.listener().certFile()).isEqualTo(dir.toAbsolutePath().resolve("apilb.crt"));
    assertThat(config.backendTls().caFile()).isEqualTo(dir.toAbsolutePath().resolve("ca.crt"));
    assertThat(config.backends()).hasSize(1);
  }

  @Test
  void anExplicitClientCaTurnsAutoIntoOptional() throws Exception {
    ApilbConfig config = ConfigLoader.parse(MINIMAL + "apilb.listener.tls.client-ca-file = \"/x/ca.crt\"\n", "t");

    assertThat(config.listener().clientAuth()).isEqualTo(ClientAuthMode.OPTIONAL);
    assertThat(config.listener().clientCaFile()).isEqualTo(Path.of("/x/ca.crt"));
  }

  @Test
  void rejectsBadIdentityHeadersClientAuthModesAndAHalfProxyCertificate() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL + """
        apilb.identity.user-header = "X Remote User"
        apilb.identity.send-uid = maybe
        apilb.listener.tls.client-auth = required
        apilb.backend-tls.proxy-client-cert-file = "/x/p.crt"
        """, "t"));

    assertThat(errors).extracting(ConfigError::render).containsExactlyInAnyOrder(
        "t:6: apilb.identity.user-header: must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-; "
            + "got \"X Remote User\")",
        "t:7: apilb.identity.send-uid: must be true or false (got \"maybe\")",
        "t:8: apilb.listener.tls.client-auth: must be one of auto, optional, none (got \"required\")",
        "t:9: apilb.backend-tls.proxy-client-key-file: must be set together with "
            + "apilb.backend-tls.proxy-client-cert-file");
  }

  @Test
  void rejectsHealthTimeoutNotBelowIntervalBlamingTheKeyTheOperatorSet() {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(MINIMAL + "apilb.health.interval = 1s\n", "t"));

    assertThat(errors).extracting(ConfigError::render)
        .containsExactly("t:6: apilb.health.interval: must be greater than apilb.health.timeout (1s), got \"1s\"");
  }

  @Test
  void resolvesRelativePathsAgainstTheConfigFileDirectory() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("etc"));
    Path file = write("etc/apilb.conf", """
        apilb {
          listener.tls { cert-file = "tls/apilb.crt", key-file = "../keys/apilb.key" }
          backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
          backend-tls.ca-file = "/etc/kubernetes/pki/ca.crt"
        }
        """);

    ApilbConfig config = ConfigLoader.load(file);

    assertThat(config.listener().certFile()).isEqualTo(conf.toAbsolutePath().resolve("tls/apilb.crt"));
    assertThat(config.listener().keyFile()).isEqualTo(dir.toAbsolutePath().resolve("keys/apilb.key"));
    assertThat(config.backendTls().caFile()).isEqualTo(Path.of("/etc/kubernetes/pki/ca.crt"));
  }

  @Test
  void resolvesIncludesRelativeToTheIncludingFile() throws Exception {
    write("backends.conf", """
        apilb.backends = [ { name = "cp9", address = "10.0.0.19:6443" } ]
        """);
    Path file = write("main.conf", MINIMAL + "include \"backends.conf\"\n");

    assertThat(ConfigLoader.load(file).backends())
        .containsExactly(new BackendConfig("cp9", "10.0.0.19", 6443));
  }

  @Test
  void unsetOptionalEnvironmentSubstitutionKeepsTheDefault() throws Exception {
    ApilbConfig config = ConfigLoader.parse(
        MINIMAL + "apilb.admin.port = ${?APILB_TEST_SURELY_UNSET_VARIABLE}\n", "t");

    assertThat(config.admin().port()).isEqualTo(9445);
  }

  @ParameterizedTest
  @ValueSource(strings = {"apilb { listener = ", "apilb.admin.port = ${NOT_DEFINED_ANYWHERE}"})
  void reportsSyntaxAndSubstitutionErrorsAsOneLocatedError(String text) {
    List<ConfigError> errors = errorsOf(() -> ConfigLoader.parse(text, "broken.conf"));

    assertThat(errors).hasSize(1);
    assertThat(errors.get(0).file()).isEqualTo("broken.conf");
    assertThat(errors.get(0).line()).isEqualTo(1);
  }

  @Test
  void reportsAnUnreadableFile() {
    Path missing = dir.resolve("nope.conf");

    assertThat(errorsOf(() -> ConfigLoader.load(missing))).extracting(ConfigError::render)
        .containsExactly(missing + ": cannot read configuration file");
  }

  @Test
  void shippedExampleConfigurationLoads() throws Exception {
    ApilbConfig config = ConfigLoader.load(Path.of("conf/apilb.conf"));

    assertThat(config.backends()).extracting(BackendConfig::address)
        .containsExactly("10.0.0.11:6443", "10.0.0.12:6443", "10.0.0.13:6443");
    assertThat(config.backendTls().caFile()).isEqualTo(Path.of("/etc/kubernetes/pki/ca.crt"));
    assertThat(config.listener().certFile()).isEqualTo(Path.of("/etc/apilb/apilb.crt"));
    assertThat(config.listener().keyFile()).isEqualTo(Path.of("/etc/apilb/apilb.key"));
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  private interface Load {
    ApilbConfig run() throws ConfigException;
  }

  private static List<ConfigError> errorsOf(Load load) {
    try {
      ApilbConfig config = load.run();
      return fail("expected a ConfigException, got " + config);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).contains(e.errors().get(0).render());
      return e.errors();
    }
  }
}
