package io.apilb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT shut down gracefully and exit 0; SIGHUP reloads. The JVM's default would
 * exit 143 on SIGTERM without draining, and 129 on SIGHUP.
 */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  static void install(ApilbRuntime runtime) {
    Runnable stop = () -> {
      runtime.shutdownGracefully();
      System.exit(0);
    };
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), sig -> new Thread(stop, "apilb-shutdown").start());
      } catch (IllegalArgumentException e) {
        log.warn("cannot handle SIG{}: {}", name, e.getMessage());
      }
    }
    handleHup(() -> runtime.reload("SIGHUP"));
  }

  /** Installs {@code reload} for SIGHUP; answers false (and warns) when it could not be. */
  static boolean handleHup(Runnable reload) {
    try {
      SignalHandler before = Signal.handle(new Signal("HUP"), sig -> reload.run());
      if (before == SignalHandler.SIG_IGN) {
        log.warn(ignoredHupWarning());
        return false;
      }
      return true;
    } catch (IllegalArgumentException e) {
      log.warn("cannot handle SIGHUP: {}", e.getMessage());
      return false;
    }
  }

  /**
   * An ignored SIGHUP inherited from the parent (nohup, some supervisors) makes the JVM refuse our
   * handler without an error: reload by signal would silently do nothing. bin/apilb resets the
   * disposition where env(1) can; this says so where it could not.
   */
  private static String ignoredHupWarning() {
    return "SIGHUP is ignored by this process (inherited, e.g. from nohup): 'kill -HUP' and 'systemctl reload' "
        + "will NOT reload the configuration; changes to the configuration file are still picked up. Start apilb "
        + "without nohup (systemd, setsid, or bin/apilb with GNU env 8.31+, which resets it)";
  }
}
