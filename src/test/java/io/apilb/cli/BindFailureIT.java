package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.apilb.testing.ControlPlaneFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * A port already in use (issue 11): one ERROR line naming the key, address and port, no stack
 * trace, and a non-zero exit; it was an 18-line stack trace that did not name the address.
 */
class BindFailureIT {
  @Test
  void aListenerPortInUseIsOneErrorLineAndExitOne() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(RunCommand.class);
    logged.start();
    logger.addAppender(logged);
    try (ControlPlaneFixture cp = ControlPlaneFixture.start(1)) {
      Path conf = cp.dir.resolve("apilb.conf");
      // a second apilb on the first one's listener port
      String second = Files.readString(conf).replaceFirst("port = 0", "port = " + cp.port());
      Path conflicting = cp.dir.resolve("second.conf");
      Files.writeString(conflicting, second);

      int code = new CommandLine(new Main()).execute("run", "--config", conflicting.toString());

      assertThat(code).isEqualTo(1);
      List<ILoggingEvent> errors = logged.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
      assertThat(errors).singleElement().satisfies(e -> {
        assertThat(e.getFormattedMessage()).isEqualTo("apilb failed to start: cannot listen on 127.0.0.1:" + cp.port()
            + " (apilb.listener): Address already in use");
        assertThat(e.getThrowableProxy()).isNull();
      });
    } finally {
      logger.detachAppender(logged);
    }
  }
}
