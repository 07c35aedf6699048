package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.apilb.cli.ApilbRuntime;
import io.apilb.config.ConfigLoader;
import io.apilb.testing.HostileFixture;
import io.apilb.testing.LogCapture;
import io.apilb.testing.RawHttp1;
import io.apilb.testing.RecordingBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 11, "Also seen": shutdown and reload with pooled connections, transition logs, bind failures. */
class OperationalFaultsIT {

  /** Leaves idle pooled connections to every backend: concurrent requests need one connection each. */
  static void fillPools(HostileFixture f) throws Exception {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(CompletableFuture.runAsync(() -> {
        try (SSLSocket s = f.openTls("http/1.1")) {
          RawHttp1.exchange(s, "GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n\r\n", 1,
              Duration.ofSeconds(5));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get();
  }

  @ParameterizedTest(name = "backend-tls.http2 = {0}")
  @ValueSource(strings = {"auto", "off"})
  void shutdownWithIdlePooledConnectionsIsClean(String http2) throws Exception {
    HostileFixture f = HostileFixture.start(2, "apilb.backend-tls.http2 = " + http2);
    try {
      fillPools(f);
      try (LogCapture logs = new LogCapture(Level.WARN)) {
        f.apilb.close(); // apilb alone: the backends stay up to see its closes
        assertThat(logs.lines()).noneMatch(l -> l.contains("ConcurrentModification"));
      }
      // apilb closed them before close() returned; each backend sees the FINs on its own loop.
      // Counted while the backends still run: once a backend's own loop shuts down, the
      // inactive events of the channels it closes may never run, and its count says nothing.
      for (RecordingBackend b : f.backends) {
        await().atMost(Duration.ofSeconds(2))
            .untilAsserted(() -> assertThat(b.openConnections()).as(b.describeOpen()).isZero());
      }
    } finally {
      f.close();
    }
  }

  @Test
  void aReloadThatRemovesABackendClosesItsIdleConnectionsAtOnce() throws Exception {
    try (HostileFixture f = HostileFixture.start(2, ""); LogCapture logs = new LogCapture(Level.WARN)) {
      fillPools(f);
      RecordingBackend removed = f.backends.get(1);
      assertThat(removed.openConnections()).isPositive();
      Path conf = f.dir.resolve("apilb.conf");
      List<String> kept = Files.readAllLines(conf).stream().filter(l -> !l.contains("\"rb2\"")).toList();
      Files.write(conf, kept);
      f.apilb.reload("test");
      await().atMost(Duration.ofSeconds(3)).until(() -> removed.openConnections() == 0);
      assertThat(logs.lines()).noneMatch(l -> l.contains("ConcurrentModification"));
    }
  }

  @Test
  void aStateTransitionLogNeverNamesTheSameStateTwice() throws Exception {
    try (LogCapture logs = new LogCapture(Level.INFO); HostileFixture f = HostileFixture.start(2, "")) {
      f.backends.get(1).close(); // its probes fail from now on
      await().atMost(Duration.ofSeconds(5)).until(() -> f.apilb.backends().snapshot().ready().size() == 1);
      Thread.sleep(1000);
      assertThat(logs.lines()).noneMatch(l -> l.matches("(?s).* (\\w+) -> \\1\\b.*"));
    }
  }

  @Test
  void aPortInUseIsReportedWithItsAddress() throws Exception {
    try (HostileFixture f = HostileFixture.start(1, "")) {
      Path conf = f.dir.resolve("apilb-clash.conf");
      Files.writeString(conf, Files.readString(f.dir.resolve("apilb.conf"))
          .replace("port = 0, tls", "port = " + f.port() + ", tls"));
      assertThatThrownBy(() -> ApilbRuntime.start(ConfigLoader.load(conf)).close())
          .as("the failure names the address").hasMessageContaining("127.0.0.1:" + f.port());
    }
  }
}
