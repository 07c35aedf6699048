package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateReloaderTest {
  @TempDir Path dir;
  final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
  final List<String> outcomes = new CopyOnWriteArrayList<>();
  final CertificateReloader reloader =
      new CertificateReloader(control, Duration.ZERO, (m, ok) -> outcomes.add(m + "=" + (ok ? "ok" : "failed")));

  @AfterEach
  void stop() {
    reloader.close();
    control.shutdownNow();
  }

  @Test
  void reloadsOnAContentChangeKeepsTheOldMaterialOnFailureAndRetriesOnlyNewContent() throws Exception {
    Path file = Files.writeString(dir.resolve("cert.pem"), "v1");
    AtomicReference<String> live = new AtomicReference<>("v1");
    reloader.watch("serving", List.of(file), () -> {
      String text = Files.readString(file);
      if (text.startsWith("bad")) {
        throw new IllegalStateException("no PEM certificate found in " + file);
      }
      live.set(text);
    });

    check();
    assertThat(outcomes).isEmpty(); // unchanged

    Files.writeString(file, "v2");
    check();
    assertThat(live.get()).isEqualTo("v2");

    Files.writeString(file, "bad");
    check();
    check(); // same broken content: not retried
    assertThat(live.get()).isEqualTo("v2");
    assertThat(outcomes).containsExactly("serving=ok", "serving=failed");

    Files.writeString(file, "v3");
    reloader.reload().get(5, TimeUnit.SECONDS); // forced (SIGHUP)
    assertThat(live.get()).isEqualTo("v3");
    assertThat(outcomes).containsExactly("serving=ok", "serving=failed", "serving=ok");
  }

  @Test
  void pollsOnItsOwn() throws Exception {
    CertificateReloader polling = new CertificateReloader(control, Duration.ofMillis(50), (m, ok) -> outcomes.add(m));
    Path file = Files.writeString(dir.resolve("ca.crt"), "a");
    polling.watch("client_ca", List.of(file), () -> { });
    polling.start();
    Files.writeString(file, "b");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (outcomes.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    polling.close();
    assertThat(outcomes).containsExactly("client_ca");
  }

  private void check() throws Exception {
    control.submit(reloader::checkForChanges).get(5, TimeUnit.SECONDS);
  }
}
