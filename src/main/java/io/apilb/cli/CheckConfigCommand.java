package io.apilb.cli;

import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigError;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code apilb check-config FILE}: validates and reports every error at once. */
@Command(name = "check-config", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Validate a configuration file and report every error.")
final class CheckConfigCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "configuration file (HOCON)")
  Path file;

  @Override
  public Integer call() {
    try {
      ApilbConfig config = ConfigLoader.load(file);
      ApilbRuntime.validateMaterial(config);
      System.out.println(file + ": OK (" + config.backends().size() + " backends, listener "
          + config.listener().address() + ":" + config.listener().port() + ")");
      return 0;
    } catch (ConfigException e) {
      System.err.println(file + ": " + e.errors().size() + " error(s)");
      for (ConfigError err : e.errors()) {
        System.err.println("  " + err.render());
      }
      return 2;
    }
  }
}
