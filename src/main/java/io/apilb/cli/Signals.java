package io.apilb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

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
    try {
      Signal.handle(new Signal("HUP"), sig -> runtime.reload("SIGHUP"));
    } catch (IllegalArgumentException e) {
      log.warn("cannot handle SIGHUP: {}", e.getMessage());
    }
  }
}
