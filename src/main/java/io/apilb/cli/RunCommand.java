package io.apilb.cli;

import io.apilb.config.ConfigError;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code apilb run --config FILE}: runs until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Run the load balancer.")
final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "configuration file")
  Path config;

  @Override
  public Integer call() {
    try {
      // start() loads the certificates and keys first: bad material is a configuration error
      // reported like the others, before anything listens
      ApilbRuntime runtime = ApilbRuntime.start(ConfigLoader.load(config));
      java.lang.Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "apilb-exit"));
      Signals.install(runtime);
      runtime.awaitTermination();
      return 0;
    } catch (ConfigException e) {
      System.err.println(config + ": " + e.errors().size() + " error(s)");
      for (ConfigError err : e.errors()) {
        System.err.println("  " + err.render());
      }
      return 2;
    } catch (Exception e) {
      log.error("apilb failed to start: {}", e.getMessage(), e);
      return 1;
    }
  }
}
