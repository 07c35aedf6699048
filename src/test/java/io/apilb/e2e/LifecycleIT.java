package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.pki.CertificateIssuer;
import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Graceful shutdown and live reload, under load. */
class LifecycleIT {
  ControlPlaneFixture cp;
  final AtomicBoolean loading = new AtomicBoolean(true);

  @AfterEach
  void stop() {
    loading.set(false);
    if (cp != null) {
      cp.close();
    }
  }

  /** A steady GET loop; failures are responses other than 200 and errors other than "refused". */
  private Thread load(HttpClient client, List<String> failures, AtomicInteger ok) {
    Thread t = new Thread(() -> {
      while (loading.get()) {
        try {
          HttpResponse<String> r = cp.get(client, "/api/v1/namespaces/default/configmaps");
          if (r.statusCode() == 200) {
            ok.incrementAndGet();
          } else {
            failures.add(r.statusCode() + " " + r.body());
          }
        } catch (java.net.ConnectException e) {
          return; // the listener closed: this apilb is gone, clients move elsewhere
        } catch (Exception e) {
          if (loading.get() && cp.apilb != null) {
            failures.add(e.toString());
          }
          return;
        }
      }
    });
    t.start();
    return t;
  }

  /**
   * An HTTP/2 load loop with OkHttp, which (like client-go) finishes streams up to GOAWAY's last
   * stream id and retries later ones on a new connection. JDK 17's HttpClient fails every stream
   * of a connection that received GOAWAY, so it cannot judge a graceful drain.
   */
  private Thread okHttpLoad(okhttp3.OkHttpClient client, List<String> failures, AtomicInteger ok) {
    Thread t = new Thread(() -> {
      while (loading.get()) {
        okhttp3.Request req = new okhttp3.Request.Builder().url(cp.uri("/api/v1/namespaces/default/configmaps").toString())
            .header("Authorization", "Bearer test-token").build();
        try (okhttp3.Response r = client.newCall(req).execute()) {
          if (r.code() == 200 && r.protocol() == okhttp3.Protocol.HTTP_2) {
            ok.incrementAndGet();
          } else {
            failures.add(r.code() + " " + r.protocol());
          }
        } catch (java.net.ConnectException e) {
          return; // the listener closed: this apilb is gone, clients move elsewhere
        } catch (Exception e) {
          if (loading.get()) {
            failures.add(e.toString());
          }
          return;
        }
      }
    });
    t.start();
    return t;
  }

  private okhttp3.OkHttpClient okHttp() throws Exception {
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", cp.ca.certificate());
    tmf.init(ks);
    javax.net.ssl.X509TrustManager tm = (javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0];
    return new okhttp3.OkHttpClient.Builder().sslSocketFactory(cp.clientSslContext().getSocketFactory(), tm)
        .protocols(List.of(okhttp3.Protocol.HTTP_2, okhttp3.Protocol.HTTP_1_1))
        .retryOnConnectionFailure(true).build();
  }

  @Test
  void sigtermDrainsHttp1AndHttp2ClientsAndEndsWatchesCleanly() throws Exception {
    cp = ControlPlaneFixture.start(3, "apilb.shutdown { delay = 1s, drain-timeout = 5s }");
    List<String> failures = new CopyOnWriteArrayList<>();
    AtomicInteger ok = new AtomicInteger();
    HttpClient h2 = cp.httpClient(HttpClient.Version.HTTP_2);
    HttpClient h1 = cp.httpClient(HttpClient.Version.HTTP_1_1);
    // watches that must end cleanly (end of stream, not an error), over HTTP/1.1 and HTTP/2
    okhttp3.OkHttpClient ok2 = okHttp();
    AtomicInteger cleanWatchEnds = new AtomicInteger();
    HttpResponse<InputStream> h1watch = h1.send(HttpRequest.newBuilder(cp.uri("/api/v1/namespaces/default/configmaps?watch=true"))
        .header("Authorization", "Bearer t").build(), HttpResponse.BodyHandlers.ofInputStream());
    okhttp3.Response h2watch = ok2.newCall(new okhttp3.Request.Builder()
        .url(cp.uri("/api/v1/namespaces/default/configmaps?watch=true").toString()).header("Authorization", "Bearer t").build())
        .execute();
    assertThat(h2watch.protocol()).isEqualTo(okhttp3.Protocol.HTTP_2);
    List<Thread> watchers = new java.util.ArrayList<>();
    for (InputStream body : List.of(h1watch.body(), h2watch.body().byteStream())) {
      Thread w = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
          while (r.readLine() != null) {
            // events
          }
          cleanWatchEnds.incrementAndGet();
        } catch (Exception e) {
          // broken stream: not counted
        }
      });
      w.start();
      watchers.add(w);
    }
    List<Thread> loaders = List.of(okHttpLoad(ok2, failures, ok), load(h1, failures, ok), okHttpLoad(ok2, failures, ok));
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 50);

    int before = ok.get();
    Thread stopper = new Thread(cp.apilb::shutdownGracefully);
    stopper.start();
    HttpResponse<String> readyz = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(cp.adminUri("/readyz")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(readyz.statusCode()).as("admin /readyz fails at once").isEqualTo(503);
    stopper.join(20_000);
    assertThat(stopper.isAlive()).isFalse();
    for (Thread t : loaders) {
      t.join(5000);
    }
    for (Thread w : watchers) {
      w.join(5000);
    }
    assertThat(failures).isEmpty();
    assertThat(ok.get()).as("requests kept succeeding during the shutdown delay").isGreaterThan(before);
    assertThat(cleanWatchEnds.get()).as("both watches ended cleanly").isEqualTo(2);
  }

  @Test
  void aFileChangeAndSighupReloadTheProcessAndSigtermMakesItExitZero() throws Exception {
    Path jar = Path.of("target/apilb.jar");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(jar), "target/apilb.jar is built by mvn package");
    cp = ControlPlaneFixture.start(1);
    Path conf = cp.dir.resolve("apilb.conf");
    String text = Files.readString(conf) + "\napilb.shutdown { delay = 200ms, drain-timeout = 2s }\n";
    Files.writeString(cp.dir.resolve("proc.conf"), text);
    // A suite started under nohup hands its children an ignored SIGHUP, which the JVM keeps: apilb
    // would warn and not reload by signal. Give it back its default, as bin/apilb does.
    List<String> command = new java.util.ArrayList<>();
    if (new ProcessBuilder("env", "--default-signal=HUP", "true").start().waitFor() == 0) {
      command.addAll(List.of("env", "--default-signal=HUP"));
    }
    command.addAll(List.of("java", "-jar", jar.toString(), "run", "--config", cp.dir.resolve("proc.conf").toString()));
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(cp.dir.resolve("proc.log").toFile()).start();
    try {
      Path log = cp.dir.resolve("proc.log");
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("apilb listening"));
      Files.writeString(cp.dir.resolve("proc.conf"), text + "apilb.health.fall = 3\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("reload (configuration file changed) applied"));
      new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("reload (SIGHUP) applied"));
      assertThat(p.isAlive()).isTrue();
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(Files.readString(cp.dir.resolve("proc.log"))).isZero();
      assertThat(Files.readString(cp.dir.resolve("proc.log"))).contains("shutting down");
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // the process's own log says what it did instead (its directory is gone after the test)
      throw new AssertionError(e.getMessage() + "; the process's log:\n" + Files.readString(cp.dir.resolve("proc.log")), e);
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void reloadAddsAndRemovesBackendsUnderLoadAndRejectsAnInvalidFile() throws Exception {
    cp = ControlPlaneFixture.start(2);
    SimulatedApiserver extra = SimulatedApiserver.builder("cp9", cp.cluster)
        .keyMaterial(CertificateIssuer.issue(cp.ca, CertificateIssuer.LeafSpec.server("kube-apiserver",
            List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))).keyMaterial())
        .bindAddress("127.0.0.1").port(0).build().start();
    try {
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicInteger ok = new AtomicInteger();
      HttpClient h2 = cp.httpClient(HttpClient.Version.HTTP_2);
      List<Thread> loaders = List.of(load(h2, failures, ok), load(h2, failures, ok));
      await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 30);

      Path conf = cp.dir.resolve("apilb.conf");
      String original = Files.readString(conf);
      String cp1 = "{ name = \"cp1\", address = \"127.0.0.1:" + cp.backend("cp1").port() + "\" }";
      String cp9 = "{ name = \"cp9\", address = \"127.0.0.1:" + extra.port() + "\" }";
      Files.writeString(conf, original.replace(cp1, cp9));
      cp.apilb.reload("test");
      await().atMost(Duration.ofSeconds(10)).until(() ->
          cp.apilb.backends().snapshot().byName("cp9").map(e -> e.ready()).orElse(false)
              && cp.apilb.backends().snapshot().byName("cp1").isEmpty());
      cp.backend("cp1").clearRequests();
      int mark = ok.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > mark + 60);
      assertThat(cp.backend("cp1").requestCount(r -> r.path().contains("/configmaps"))).as("removed").isZero();
      assertThat(extra.requestCount(r -> r.path().contains("/configmaps"))).as("added").isPositive();

      // an invalid file is rejected and the running configuration keeps serving
      Files.writeString(conf, original.replace("apilb {", "apilb {\n  health.rise = 0\n  listner.port = 1\n"));
      cp.apilb.reload("test");
      Thread.sleep(1500);
      assertThat(cp.apilb.metrics().registry().counter("apilb.config.reload_failures").getCount()).isPositive();
      assertThat(cp.apilb.backends().snapshot().byName("cp9")).isPresent();
      int mark2 = ok.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > mark2 + 30);
      loading.set(false);
      for (Thread t : loaders) {
        t.join(5000);
      }
      assertThat(failures).isEmpty();
    } finally {
      extra.close();
    }
  }
}
