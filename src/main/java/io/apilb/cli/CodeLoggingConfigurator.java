package io.apilb.cli;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * apilb's logging, set up in code: every line to standard error through an asynchronous appender
 * that never blocks an event loop, Netty at WARN, the root at {@code APILB_LOG_LEVEL} (INFO).
 * Logback's XML configurator would load about 400 classes more and take about 80 ms of the
 * start, resident on every node that runs the sidecar. A logback file still wins: given with
 * {@code -Dlogback.configurationFile}, or {@code logback-test.xml} on the class path (tests).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class CodeLoggingConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level %logger{0} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    String file = System.getProperty("logback.configurationFile");
    if (fileExists(file) || CodeLoggingConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // the file's configuration
    }
    configureInCode(context, System.getenv("APILB_LOG_LEVEL"));
    if (file != null) {
      // logback would fall back to DEBUG for everything, synchronously, on standard output
      context.getLogger(CodeLoggingConfigurator.class).warn(
          "logback.configurationFile={} does not exist: using apilb's built-in logging", file);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Whether {@code location} (a path, a URL or a class-path resource) names something that exists. */
  static boolean fileExists(String location) {
    if (location == null || location.isBlank()) {
      return false;
    }
    if (java.nio.file.Files.isRegularFile(java.nio.file.Path.of(location))) {
      return true;
    }
    if (CodeLoggingConfigurator.class.getClassLoader().getResource(location) != null) {
      return true;
    }
    try {
      java.net.URL url = new java.net.URL(location);
      try (java.io.InputStream in = url.openStream()) {
        return in != null;
      }
    } catch (java.io.IOException | IllegalArgumentException e) {
      return false;
    }
  }

  static void configureInCode(LoggerContext context, String rootLevel) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName("ASYNC");
    async.setNeverBlock(true);
    async.addAppender(stderr);
    async.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(rootLevel(rootLevel));
    root.addAppender(async);
    context.getLogger("io.netty").setLevel(Level.WARN);
  }

  /** The root level named by {@code APILB_LOG_LEVEL}; INFO when unset or not a level. */
  static Level rootLevel(String name) {
    return name == null || name.isBlank() ? Level.INFO : Level.toLevel(name.trim(), Level.INFO);
  }
}
