package io.apilb.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apilb.sim.SimulatedApiserver;
import io.apilb.testing.ControlPlaneFixture;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * apilb.proxy.request-timeout on real event loops (the deadlines wait in each loop's
 * DeadlineQueue; DeadlineQueueTest holds its order and unlinking): a request its backend does not
 * answer in time gets 504 with a Status body, and the queue keeps serving after an expiry: the
 * requests after it finish normally and none is counted as timed out.
 */
class RequestTimeoutIT {
  private static final String CONFIGMAPS = "/api/v1/namespaces/default/configmaps";
  private static final Pattern TIMEOUTS = Pattern.compile("apilb_proxy_failures_total\\{[^}]*backend_timeout[^}]*} ([0-9.]+)");

  private static double timeouts(ControlPlaneFixture cp) throws Exception {
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(cp.adminUri("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = TIMEOUTS.matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void anUnansweredRequestGets504AndRequestsAnsweredInTimeNeverExpireLater() throws Exception {
    try (ControlPlaneFixture cp = ControlPlaneFixture.startHttp2(1, "apilb.proxy.request-timeout = 1s", true)) {
      HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2, cp.issueClient("alice", "dev"));
      SimulatedApiserver b = cp.backends.get(0);
      assertThat(cp.get(client, CONFIGMAPS).statusCode()).isEqualTo(200);

      b.delayResponses(Duration.ofMillis(2_500));
      long start = System.nanoTime();
      HttpResponse<String> late = cp.get(client, CONFIGMAPS);
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      b.delayResponses(Duration.ZERO);
      assertThat(late.statusCode()).isEqualTo(504);
      assertThat(late.body()).contains("\"kind\":\"Status\"", "\"code\":504");
      assertThat(tookMillis).as("answered by apilb's deadline, before the backend's answer").isLessThan(2_500);
      assertThat(timeouts(cp)).isEqualTo(1);

      // the backend may have been ejected by its delayed probes meanwhile: wait until it serves
      await().atMost(Duration.ofSeconds(15)).until(() -> cp.get(client, CONFIGMAPS).statusCode() == 200);
      List<CompletableFuture<HttpResponse<String>>> inTime = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        inTime.add(client.sendAsync(HttpRequest.newBuilder(cp.uri(CONFIGMAPS)).GET().build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> r : inTime) {
        assertThat(r.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      Thread.sleep(1_500); // past every one of their deadlines
      assertThat(timeouts(cp)).as("no deadline of a finished request fired").isEqualTo(1);
    }
  }
}
