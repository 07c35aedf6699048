package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.cli.Main;
import io.apilb.deploy.DeployFiles.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code systemd/apilb.service} passes {@code systemd-analyze verify} and keeps its hardening. */
class SystemdUnitTest {
  private static final String UNIT = "systemd/apilb.service";
  private static final String JAVA = "/usr/bin/java";

  @Test
  void systemdAnalyzeVerifyAcceptsTheUnitWithoutWarnings(@TempDir Path tmp) throws Exception {
    assumeTrue(DeployFiles.available("systemd-analyze"),
        "systemd-analyze is not installed; .ci/install-test-deps installs the systemd package");
    // verify checks that every Exec*= binary exists. /usr/bin/java may be missing where the JDK
    // lives elsewhere, so point the copy at the JVM running this test; everything else is verbatim.
    String javaHere = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String unit = DeployFiles.read(UNIT).replace(JAVA, javaHere);
    Path copy = tmp.resolve("apilb.service");
    Files.writeString(copy, unit, StandardCharsets.UTF_8);

    Run r = DeployFiles.run(tmp, "systemd-analyze", "verify", "--man=no", copy.toString());

    assertThat(r.output()).as("systemd-analyze verify output").isEmpty();
    assertThat(r.exitCode()).as("exit code; output:%n%s", r.output()).isZero();
  }

  @Test
  void sandboxExposureIsLow(@TempDir Path tmp) throws Exception {
    assumeTrue(DeployFiles.available("systemd-analyze"), "systemd-analyze is not installed");
    Path copy = tmp.resolve("apilb.service");
    Files.writeString(copy, DeployFiles.read(UNIT), StandardCharsets.UTF_8);

    Run r = DeployFiles.run(tmp, "systemd-analyze", "security", "--offline=yes", "--threshold=30", copy.toString());

    assumeTrue(!r.output().contains("unrecognized option"), "this systemd-analyze has no --offline");
    assertThat(r.exitCode()).as("exposure above 3.0 (threshold 30 in tenths):%n%s", r.output()).isZero();
  }

  @Test
  void unitIsHardenedAndRunsTheShadedJar() throws Exception {
    Map<String, List<String>> s = serviceSection(DeployFiles.read(UNIT));

    assertThat(s.get("User")).containsExactly("apilb");
    assertThat(s.get("ProtectSystem")).containsExactly("strict");
    assertThat(s.get("NoNewPrivileges")).containsExactly("yes");
    assertThat(s.get("CapabilityBoundingSet")).as("6443 needs no capability").containsExactly("");
    assertThat(s.get("AmbientCapabilities")).containsExactly("");
    assertThat(s.get("ReadOnlyPaths")).contains("/etc/apilb", "-/etc/kubernetes/pki");
    assertThat(s.get("Restart")).containsExactly("on-failure");
    assertThat(Long.parseLong(s.get("LimitNOFILE").get(0))).isGreaterThanOrEqualTo(65536);
    assertThat(s.get("EnvironmentFile")).containsExactly("-/etc/apilb/apilb.env");
    assertThat(s.get("ExecStart")).containsExactly(
        JAVA + " $JAVA_OPTS $APILB_JAVA_OPTS -jar /opt/apilb/apilb.jar run --config ${APILB_CONFIG}");
    assertThat(s.get("ExecReload")).last().isEqualTo("/bin/kill -HUP $MAINPID");
  }

  @Test
  void subcommandsTheUnitCallsExist() {
    assertThat(new CommandLine(new Main()).getSubcommands()).containsKeys("run", "check-config");
  }

  @Test
  void environmentFileSetsConfigAndJvmOptions() throws Exception {
    String env = DeployFiles.read("systemd/apilb.env");
    assertThat(env).containsPattern("(?m)^APILB_CONFIG=/etc/apilb/apilb.conf$")
        .containsPattern("(?m)^JAVA_OPTS=")
        .containsPattern("(?m)^APILB_JAVA_OPTS=");
  }

  /** The [Service] section as key to values, in order (keys may repeat). */
  static Map<String, List<String>> serviceSection(String unit) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String section = "";
    for (String raw : unit.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        section = line;
        continue;
      }
      int eq = line.indexOf('=');
      if (section.equals("[Service]") && eq > 0) {
        out.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
      }
    }
    return out;
  }
}
