package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.apilb.testing.ControlPlaneFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * {@code apilb run --train-and-exit}, the class-data-sharing training run of bin/apilb and the
 * Dockerfile: it starts the configuration on ephemeral ports (so ports in use do not matter and
 * clients cannot reach it), stops once a backend is ready and exits 0.
 */
class TrainingRunIT {
  @Test
  void startsOnEphemeralPortsStopsOnceABackendIsReadyAndExitsZero() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(RunCommand.class);
    logged.start();
    logger.addAppender(logged);
    try (ControlPlaneFixture cp = ControlPlaneFixture.start(1)) {
      // the running apilb's own listener and admin ports: a normal start would fail to bind
      String conf = Files.readString(cp.dir.resolve("apilb.conf"))
          .replaceFirst("port = 0", "port = " + cp.port())
          .replaceFirst("port = 0", "port = " + cp.apilb.adminAddress().getPort());
      Path busy = cp.dir.resolve("busy.conf");
      Files.writeString(busy, conf);

      long t0 = System.nanoTime();
      int code = new CommandLine(new Main()).execute("run", "--config", busy.toString(), "--train-and-exit");
      Duration took = Duration.ofNanos(System.nanoTime() - t0);

      assertThat(code).isZero();
      assertThat(took).isLessThan(RunCommand.TRAINING_LIMIT);
      assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage)
          .contains("training run: 1 ready backend(s); stopping");
      // the apilb already on those ports is untouched
      assertThat(cp.apilb.backends().snapshot().ready()).hasSize(1);
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  void aTrainingRunIsNotListedInTheHelp() {
    StringBuilder usage = new StringBuilder();
    new CommandLine(new Main()).getSubcommands().get("run").usage(new java.io.PrintStream(
        new java.io.OutputStream() {
          @Override
          public void write(int b) {
            usage.append((char) b);
          }
        }));
    assertThat(usage.toString()).contains("--config").doesNotContain("--train-and-exit");
  }
}
