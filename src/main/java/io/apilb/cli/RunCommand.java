package io.apilb.cli;

import io.apilb.config.ConfigError;
import io.apilb.config.ConfigException;
import io.apilb.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
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

  /**
   * Class-data-sharing training run (bin/apilb and docker/Dockerfile run it once with
   * {@code -XX:DumpLoadedClassList}, then dump the listed classes): the start-up path of this configuration, on ephemeral ports
   * so nothing it listens on is reachable by clients, until a backend is ready or
   * {@link #TRAINING_LIMIT} has passed; then it stops at once and exits 0.
   */
  @Option(names = "--train-and-exit", hidden = true,
      description = "start on ephemeral ports, wait until a backend is ready (at most 5 s), stop and exit 0")
  boolean trainAndExit;

  static final Duration TRAINING_LIMIT = Duration.ofSeconds(5);
  static final String TRAINING_OVERRIDES = "apilb.listener.port = 0\napilb.admin.port = 0\n";

  @Override
  public Integer call() {
    try {
      if (trainAndExit) {
        return train();
      }
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
    } catch (ListenerBindException e) {
      log.error("apilb failed to start: {}", e.getMessage()); // the message says it all: no stack trace
      return 1;
    } catch (Exception e) {
      log.error("apilb failed to start: {}", e.getMessage(), e);
      return 1;
    }
  }

  private int train() throws Exception {
    ApilbRuntime runtime = ApilbRuntime.start(ConfigLoader.load(config, TRAINING_OVERRIDES));
    try {
      long deadline = System.nanoTime() + TRAINING_LIMIT.toNanos();
      while (runtime.backends().snapshot().ready().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      log.info("training run: {} ready backend(s); stopping", runtime.backends().snapshot().ready().size());
    } finally {
      runtime.close();
    }
    return 0;
  }
}
