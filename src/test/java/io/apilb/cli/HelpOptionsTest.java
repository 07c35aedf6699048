package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Every command and subcommand answers --help with its usage (a newcomer's first try). */
class HelpOptionsTest {
  static Stream<List<String>> everyCommand() {
    List<List<String>> paths = new ArrayList<>();
    collect(new CommandLine(new Main()), new ArrayList<>(), paths);
    return paths.stream();
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cmd.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        List<String> next = new ArrayList<>(path);
        next.add(name);
        collect(sub, next, out);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("everyCommand")
  void answersHelpWithItsUsage(List<String> command) {
    assertThat(command.size()).isLessThan(3);
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out));
    List<String> args = new ArrayList<>(command);
    args.add("--help");
    int code = cli.execute(args.toArray(new String[0]));
    assertThat(code).isZero();
    assertThat(out.toString()).startsWith("Usage: apilb" + (command.isEmpty() ? "" : " " + String.join(" ", command)));
  }
}
