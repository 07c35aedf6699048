package io.apilb.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads certificate material when its files change, and on demand (SIGHUP). Each watched
 * material has a name, its files and a reload action that reads them and swaps the result in.
 * Changes are found by content (a SHA-256 over every file), so atomic renames, symlink swaps
 * (Kubernetes secret volumes) and in-place rewrites are all seen.
 *
 * <p>Everything runs on the single control thread: file reads never touch an event loop. A
 * failing action leaves the old material in use; the failure is logged with its reason and
 * reported to the {@link Outcomes} (metrics), and the same file contents are not retried until
 * they change again or a reload is forced.
 */
public final class CertificateReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  /** Reads the files and swaps the new material in; throws to keep the old one. */
  @FunctionalInterface
  public interface Action {
    void reload() throws Exception;
  }

  /** Told of every reload attempt. */
  @FunctionalInterface
  public interface Outcomes {
    void reloaded(String material, boolean ok);
  }

  private static final class Watched {
    final String material;
    final List<Path> files;
    final Action action;
    byte[] fingerprint;

    Watched(String material, List<Path> files, Action action) {
      this.material = material;
      this.files = List.copyOf(files);
      this.action = action;
    }
  }

  private final ScheduledExecutorService control;
  private final Duration interval;
  private final Outcomes outcomes;
  private final List<Watched> watched = new ArrayList<>();
  private ScheduledFuture<?> polling;

  /** @param interval how often files are checked; zero checks only on {@link #reload()} */
  public CertificateReloader(ScheduledExecutorService control, Duration interval, Outcomes outcomes) {
    this.control = control;
    this.interval = interval;
    this.outcomes = outcomes;
  }

  /**
   * Watches {@code files} of {@code material}; their current content counts as loaded. Call before
   * {@link #start()}, from the thread that loaded the material.
   */
  public synchronized void watch(String material, List<Path> files, Action action) {
    Watched w = new Watched(material, files, action);
    w.fingerprint = fingerprint(w.files);
    watched.add(w);
  }

  /** Starts polling (if the interval is positive). */
  public synchronized void start() {
    if (!interval.isZero() && polling == null) {
      long ms = interval.toMillis();
      polling = control.scheduleWithFixedDelay(this::checkForChanges, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** Reloads every material now, changed or not (SIGHUP). Completes when done. */
  public CompletableFuture<Void> reload() {
    return CompletableFuture.runAsync(() -> {
      for (Watched w : snapshot()) {
        w.fingerprint = fingerprint(w.files);
        run(w);
      }
    }, control);
  }

  /** One polling round: reloads the materials whose files changed. Control thread. */
  void checkForChanges() {
    for (Watched w : snapshot()) {
      try {
        byte[] now = fingerprint(w.files);
        if (!Arrays.equals(now, w.fingerprint)) {
          w.fingerprint = now;
          run(w);
        }
      } catch (RuntimeException e) {
        log.warn("checking {} certificate files failed: {}", w.material, e.toString());
      }
    }
  }

  private void run(Watched w) {
    try {
      w.action.reload();
      log.info("reloaded {} from {}", w.material, w.files);
      outcomes.reloaded(w.material, true);
    } catch (Exception e) {
      log.warn("reloading {} from {} failed, keeping the previous one: {}", w.material, w.files, e.getMessage());
      outcomes.reloaded(w.material, false);
    }
  }

  private synchronized List<Watched> snapshot() {
    return List.copyOf(watched);
  }

  private static byte[] fingerprint(List<Path> files) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Path f : files) {
      sha.update(f.toString().getBytes(StandardCharsets.UTF_8));
      try {
        sha.update((byte) 1);
        sha.update(Files.readAllBytes(f));
      } catch (NoSuchFileException e) {
        sha.update((byte) 2);
      } catch (IOException e) {
        sha.update((byte) 3);
        sha.update(String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
      }
    }
    return sha.digest();
  }

  @Override
  public synchronized void close() {
    if (polling != null) {
      polling.cancel(false);
      polling = null;
    }
  }
}
