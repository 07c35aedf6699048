package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@link Main#commandLine}: {@code run} gets a model of its own (a shorter start) that reads the same. */
class MainTest {
  @Test
  void runGetsAModelWithRunAloneAndEverythingElseTheFullOne() {
    assertThat(Main.commandLine(new String[] {"run", "--config", "a.conf"}).getSubcommands()).containsOnlyKeys("run");
    assertThat(Main.commandLine(new String[] {"status"}).getSubcommands())
        .containsKeys("run", "status", "demo", "sim", "certs", "check-config", "version");
    assertThat(Main.commandLine(new String[0]).getSubcommands()).containsKey("run");
  }

  @Test
  void runsUsageAndErrorsReadAsInTheFullModel() {
    String[] help = {"run", "--help"};
    assertThat(output(Main.commandLine(help), help)).isEqualTo(output(new CommandLine(new Main()), help));
    String[] missing = {"run"};
    assertThat(output(Main.commandLine(missing), missing)).isEqualTo(output(new CommandLine(new Main()), missing))
        .contains("Missing required option: '--config=FILE'");
  }

  private static String output(CommandLine cl, String[] args) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute(args);
    return out.toString();
  }
}
