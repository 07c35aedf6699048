package io.apilb.cli;

import io.apilb.admin.AdminServer;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSet;
import io.apilb.balancing.WatchRegistry;
import io.apilb.config.ShutdownConfig;
import io.apilb.frontend.FrontendServer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order of a graceful shutdown (SIGTERM), which is what makes it graceful: the admin
 * {@code /readyz} fails at once so that VIP checks and DNS move clients away; the listener keeps
 * accepting for {@code apilb.shutdown.delay} while they do; then it closes, HTTP/2 clients get
 * GOAWAY and HTTP/1.1 connections close after their current response; short requests finish
 * within {@code drain-timeout}; open watches are then ended cleanly (clients re-establish them
 * elsewhere without an error) and remaining streams and tunnels closed. Closing the components
 * is left to the caller.
 */
final class GracefulShutdown {
  /** The runtime's logger: shutdown lines read as they always have. */
  private static final Logger log = LoggerFactory.getLogger(ApilbRuntime.class);

  private final AdminServer admin;
  private final FrontendServer frontend;
  private final BackendSet backends;
  private final WatchRegistry watches;

  GracefulShutdown(AdminServer admin, FrontendServer frontend, BackendSet backends, WatchRegistry watches) {
    this.admin = admin;
    this.frontend = frontend;
    this.backends = backends;
    this.watches = watches;
  }

  /** Runs every step up to closing the client connections. Blocking: never on an event loop. */
  void run(ShutdownConfig sc) {
    log.info("shutting down: admin /readyz is now 503; accepting connections for another {} ms", sc.delay().toMillis());
    admin.markShuttingDown();
    sleep(sc.delay().toMillis());
    frontend.stopAccepting().awaitUninterruptibly(2, TimeUnit.SECONDS);
    frontend.drainConnections();
    long deadline = System.nanoTime() + sc.drainTimeout().toNanos();
    while (System.nanoTime() < deadline && shortInFlight() > 0) {
      sleep(50);
    }
    int watchCount = watches.total();
    log.info("short requests drained ({} still in flight); ending {} watches and closing {} connections",
        shortInFlight(), watchCount, frontend.openConnections());
    watches.all().forEach(WatchRegistry.Handle::endGracefully);
    long watchDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < watchDeadline && watches.total() > 0) {
      sleep(20);
    }
    sleep(100); // let the last writes reach the sockets
    frontend.closeConnections().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  private int shortInFlight() {
    int n = 0;
    for (BackendEntry e : backends.snapshot().entries()) {
      n += e.stats().shortInFlight();
    }
    return n;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
