package io.apilb.sim;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The states a simulated apiserver goes through and the blocking transitions between them, behind
 * {@link SimulatedApiserver}'s {@code start}, {@code stop}, {@code restart},
 * {@code refuseConnections}, {@code stopAbruptly}, {@code dieMidEvent} and {@code close}
 * (documented there). Transitions hold one lock, so a test may call them from any threads and
 * each sees the previous one finished. Request and watch code reads the shutting-down flag and an
 * armed mid-event death without the lock.
 */
final class Lifecycle {
  /** How long a plain graceful stop waits for in-flight requests. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final String name;
  private final ApiserverListener listener;
  private final OpenConnections open;
  /** Where the apiserver publishes its address while serving, or null when it does not. */
  private final ApiserverEndpoints advertisedIn;
  private final String advertisedAddress;
  private final Object lock = new Object();

  private volatile boolean started;
  private volatile boolean closed;
  private volatile boolean shuttingDown;
  private volatile MidEventDeath midEventDeath;

  Lifecycle(String name, ApiserverListener listener, OpenConnections open, ApiserverEndpoints advertisedIn,
      String advertisedAddress) {
    this.name = name;
    this.listener = listener;
    this.open = open;
    this.advertisedIn = advertisedIn;
    this.advertisedAddress = advertisedAddress;
  }

  void start() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(name + " is closed");
      }
      shuttingDown = false;
      midEventDeath = null;
      started = true;
      listener.bind();
      if (advertisedIn != null) {
        advertisedIn.add(advertisedAddress, listener.port());
      }
    }
  }

  void stop(Duration timeout) {
    synchronized (lock) {
      if (advertisedIn != null && !shuttingDown) {
        advertisedIn.remove(advertisedAddress); // kube-apiserver's pre-shutdown hook
      }
      shuttingDown = true;
      listener.unbind();
      open.closeGracefully(timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (open.connectionCount() > 0 && System.nanoTime() < deadline) {
        sleep(10);
      }
      open.closeRemaining();
    }
  }

  void stopAbruptly() {
    synchronized (lock) {
      listener.unbind();
      open.reset();
    }
  }

  int dieMidEvent() {
    synchronized (lock) {
      int watching = open.watchCount();
      MidEventDeath death = new MidEventDeath();
      midEventDeath = death;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (death.cut() < watching && System.nanoTime() < deadline) {
        sleep(10);
      }
      // the half events were flushed; give the peer a moment to read them before the reset,
      // which discards whatever a socket still holds unsent
      sleep(200);
      stopAbruptly();
      midEventDeath = null;
      return death.cut();
    }
  }

  void restart() {
    synchronized (lock) {
      if (listener.isOpen()) {
        stop(STOP_GRACE);
      }
      start();
    }
  }

  void refuseConnections(boolean refuse) {
    synchronized (lock) {
      if (refuse) {
        listener.unbind();
      } else if (started && !closed && !shuttingDown) {
        listener.bind();
      }
    }
  }

  void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      stop(Duration.ofSeconds(1));
      closed = true;
      listener.shutdown();
    }
  }

  boolean isShuttingDown() {
    return shuttingDown;
  }

  /** The armed {@link #dieMidEvent()}, or null. */
  MidEventDeath midEventDeath() {
    return midEventDeath;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
