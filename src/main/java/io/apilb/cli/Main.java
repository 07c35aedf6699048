package io.apilb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code apilb}: the command-line entry point. Exit codes: 0 ok, 1 runtime failure, 2 usage or config error. */
@Command(
    name = "apilb",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "An API-server-aware L7 load balancer for Kubernetes control planes.",
    subcommands = {
        RunCommand.class,
        CheckConfigCommand.class,
        DemoCommand.class,
        StatusCommand.class,
        CertsCommand.class,
        SimCommand.class,
        VersionCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // Before any Netty class loads: lets Netty use the JDK's no-cleaner direct buffer
    // constructor (the jar's manifest opens java.nio for it). An explicit -D setting wins.
    if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
      System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    }
    int code = commandLine(args).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    if (code != 0 || !isServerCommand(args)) {
      System.exit(code);
    }
  }

  /**
   * The command line for {@code args}. {@code apilb run ...} gets a model with {@code run} alone:
   * building every subcommand's model loads their classes (the simulator, the PKI, JSON) and took a
   * quarter of a second of every start. Usage, version and errors read the same.
   */
  static CommandLine commandLine(String[] args) {
    return new CommandLine(args.length > 0 && args[0].equals("run") ? new RunOnly() : new Main());
  }

  /** {@code apilb} with the {@code run} subcommand only: see {@link #commandLine}. */
  @Command(name = "apilb", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
      subcommands = RunCommand.class)
  static final class RunOnly implements Runnable {
    @Override
    public void run() {
      new CommandLine(new Main()).usage(System.out);
    }
  }

  private static boolean isServerCommand(String[] args) {
    return args.length > 0 && (args[0].equals("run") || args[0].equals("demo"));
  }
}
