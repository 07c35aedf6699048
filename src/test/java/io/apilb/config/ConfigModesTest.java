package io.apilb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings that choose one of a few modes: defaults, spelling, and errors. */
class ConfigModesTest {

  private static final String MINIMAL = """
      apilb {
        listener.tls { cert-file = "/etc/apilb/apilb.crt", key-file = "/etc/apilb/apilb.key" }
        backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
        backend-tls.ca-file = "/etc/kubernetes/pki/ca.crt"
      }
      """;

  @TempDir Path dir;

  @Test
  void modesDefaultAsInReferenceConf() throws Exception {
    ApilbConfig config = ConfigLoader.parse(MINIMAL, "t");

    assertThat(config.balancing().shortRequests()).isEqualTo(ShortRequestStrategy.LEAST_IN_FLIGHT);
    assertThat(config.balancing().longRunning()).isEqualTo(LongRunningStrategy.LEAST_LONG_RUNNING);
    assertThat(config.accessLog().mode()).isEqualTo(AccessLogMode.OFF);
    assertThat(config.accessLog().enabled()).isFalse();
    assertThat(config.listener().clientAuth()).isEqualTo(ClientAuthMode.AUTO);
  }

  @Test
  void everyModeMatchesItsLowerCaseSpellingIgnoringCase() throws Exception {
    ApilbConfig config = ConfigLoader.parse(MINIMAL + """
        apilb.balancing { short-requests = "Round-Robin", long-running = round-robin }
        apilb.access-log.mode = SAMPLED
        apilb.listener.tls.client-auth = " None "
        """, "t");

    assertThat(config.balancing().shortRequests()).isEqualTo(ShortRequestStrategy.ROUND_ROBIN);
    assertThat(config.balancing().longRunning()).isEqualTo(LongRunningStrategy.ROUND_ROBIN);
    assertThat(config.accessLog().mode()).isEqualTo(AccessLogMode.SAMPLED);
    assertThat(config.accessLog().enabled()).isTrue();
    assertThat(config.listener().clientAuth()).isEqualTo(ClientAuthMode.NONE);
  }

  @Test
  void rejectsUnknownModesNamingKeyFileAndChoices() throws Exception {
    Path file = dir.resolve("modes.conf");
    Files.writeString(file, MINIMAL + """
        apilb.balancing.short-requests = least-long-running
        apilb.balancing.long-running = random
        apilb.access-log.mode = true
        """);

    List<ConfigError> errors = errorsOf(file);

    String name = file.toString();
    assertThat(errors).extracting(ConfigError::render).containsExactlyInAnyOrder(
        name + ":6: apilb.balancing.short-requests: must be one of least-in-flight, round-robin "
            + "(got \"least-long-running\")",
        name + ":7: apilb.balancing.long-running: must be one of least-long-running, round-robin (got \"random\")",
        name + ":8: apilb.access-log.mode: must be one of off, on, sampled (got \"true\")");
  }

  private static List<ConfigError> errorsOf(Path file) {
    try {
      return fail("expected a ConfigException, got " + ConfigLoader.load(file));
    } catch (ConfigException e) {
      return e.errors();
    }
  }
}
