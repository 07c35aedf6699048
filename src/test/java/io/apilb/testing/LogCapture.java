package io.apilb.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Records every log event of the root logger at {@code minimum} or above while open. */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  private final Level minimum;
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  public LogCapture(Level minimum) {
    this.minimum = minimum;
    setName("capture-" + System.nanoTime());
    start();
    root.addAppender(this);
  }

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getLevel().isGreaterOrEqual(minimum)) {
      events.add(e);
    }
  }

  /** Each event as "LEVEL logger: message [exception class: message]". */
  public List<String> lines() {
    return events.stream().map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : " [" + e.getThrowableProxy().getClassName() + ": "
            + e.getThrowableProxy().getMessage() + "]")).toList();
  }

  @Override
  public void close() {
    root.detachAppender(this);
    stop();
  }
}
