package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

class CodeLoggingConfiguratorTest {
  @Test
  void logsToStandardErrorAsynchronouslyWithNettyAtWarn() {
    LoggerContext context = new LoggerContext();
    CodeLoggingConfigurator.configureInCode(context, "debug");
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
    AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC");
    assertThat(async.isNeverBlock()).as("never blocks an event loop").isTrue();
    assertThat(async.isStarted()).isTrue();
    ConsoleAppender<?> stderr = (ConsoleAppender<?>) async.getAppender("STDERR");
    assertThat(stderr.getTarget()).isEqualTo("System.err");
    assertThat(context.getLogger("io.netty.channel").getEffectiveLevel()).isEqualTo(Level.WARN);
    context.stop();
  }

  @Test
  void theRootLevelComesFromTheEnvironmentAndFallsBackToInfo() {
    assertThat(CodeLoggingConfigurator.rootLevel(null)).isEqualTo(Level.INFO);
    assertThat(CodeLoggingConfigurator.rootLevel(" ")).isEqualTo(Level.INFO);
    assertThat(CodeLoggingConfigurator.rootLevel("WARN")).isEqualTo(Level.WARN);
    assertThat(CodeLoggingConfigurator.rootLevel("loud")).isEqualTo(Level.INFO);
  }

  @Test
  void onlyAConfigurationFileThatExistsReplacesTheBuiltInLogging(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("logback.xml"), "<configuration/>");
    assertThat(CodeLoggingConfigurator.fileExists(file.toString())).isTrue();
    assertThat(CodeLoggingConfigurator.fileExists(file.toUri().toString())).isTrue();
    assertThat(CodeLoggingConfigurator.fileExists("logback-test.xml")).as("a class-path resource").isTrue();
    assertThat(CodeLoggingConfigurator.fileExists(dir.resolve("missing.xml").toString())).isFalse();
    assertThat(CodeLoggingConfigurator.fileExists("/etc/apilb/no-such-logback.xml")).isFalse();
    assertThat(CodeLoggingConfigurator.fileExists(null)).isFalse();
  }

  @Test
  void aLogbackFileOnTheClassPathWins() {
    // the tests' logback-test.xml is on the class path: the file's configuration is used
    assertThat(new CodeLoggingConfigurator().configure(new LoggerContext()))
        .isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
  }
}
