package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGHUP under nohup (issue 11): the JVM inherits an ignored SIGHUP and refuses a handler for it,
 * so reload by signal did nothing, silently. Each case runs a small JVM ({@link Probe}).
 */
class SignalsTest {
  /** Installs the reload handler, says whether it took, and whether a SIGHUP then reached it. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      java.util.concurrent.CountDownLatch reloaded = new java.util.concurrent.CountDownLatch(1);
      System.out.println("installed=" + Signals.handleHup(reloaded::countDown));
      new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
      System.out.println("reloaded=" + reloaded.await(5, TimeUnit.SECONDS));
    }
  }

  private static String run(String... prefix) throws Exception {
    Path out = Files.createTempFile("apilb-hup", ".txt");
    List<String> cmd = new ArrayList<>(List.of(prefix));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String text = Files.readString(out, StandardCharsets.UTF_8);
    Files.delete(out);
    return text;
  }

  private static boolean available(String... cmd) {
    try {
      return new ProcessBuilder(cmd).start().waitFor() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void anInheritedIgnoredSighupIsWarnedAboutAtStart() throws Exception {
    assumeTrue(available("nohup", "true"), "nohup not installed");

    String out = run("nohup");

    assertThat(out).contains("installed=false", "SIGHUP is ignored by this process", "reloaded=false");
  }

  @Test
  void theLaunchersResetGivesReloadBySignalBackUnderNohup() throws Exception {
    assumeTrue(available("env", "--default-signal=HUP", "true"), "env without --default-signal");

    String out = run("nohup", "env", "--default-signal=HUP");

    assertThat(out).contains("installed=true", "reloaded=true").doesNotContain("SIGHUP is ignored");
  }
}
