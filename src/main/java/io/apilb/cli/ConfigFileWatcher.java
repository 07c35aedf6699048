package io.apilb.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Notices that the configuration file changed, so that editing it is enough and no SIGHUP is
 * needed. It compares the file's modification time and size every two seconds on the control
 * thread: a stat per check, and the reload it triggers runs on that same thread, never
 * concurrently with another reload.
 */
final class ConfigFileWatcher {
  private final Path file;
  /** Control thread only (also set once before the first check is scheduled). */
  private String seen = "";

  ConfigFileWatcher(Path file) {
    this.file = file;
  }

  /** Remembers the file as it is now and then runs {@code onChange} whenever it differs. */
  void start(ScheduledExecutorService control, Runnable onChange) {
    seen = stamp();
    control.scheduleWithFixedDelay(() -> check(onChange), 2, 2, TimeUnit.SECONDS);
  }

  /**
   * Remembers the file as it is now. A reload calls this before it reads the file, so that the
   * edit which a SIGHUP already applied does not trigger a second reload.
   */
  void remember() {
    seen = stamp();
  }

  private void check(Runnable onChange) {
    if (!stamp().equals(seen)) {
      onChange.run();
    }
  }

  /** Time and size: on file systems with coarse timestamps two quick edits can share a time. */
  private String stamp() {
    try {
      return Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file);
    } catch (IOException e) {
      return "missing";
    }
  }
}
