package io.apilb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.testing.ControlPlaneFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code apilb status} against a running apilb in front of three simulated apiservers. */
class StatusCommandIT {
  static ControlPlaneFixture cp;

  /** Exit code, stdout and stderr of one command line. */
  record Result(int code, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlaneFixture.start(3);
    cp.cluster.createConfigMap("default", "seed", Map.of("k", "v"));
    HttpClient client = cp.httpClient(HttpClient.Version.HTTP_2);
    for (int i = 0; i < 6; i++) {
      assertThat(cp.get(client, "/api/v1/namespaces/default/configmaps/seed").statusCode()).isEqualTo(200);
    }
    HttpResponse<String> drained = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        cp.adminUri("/backends/cp2/drain")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(drained.statusCode()).isEqualTo(200);
    cp.backend("cp3").failReadyzChecks("etcd");
    await().atMost(Duration.ofSeconds(5))
        .until(() -> !cp.apilb.backends().snapshot().byName("cp3").orElseThrow().ready());
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  static Result status(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    String[] argv = new String[args.length + 1];
    argv[0] = "status";
    System.arraycopy(args, 0, argv, 1, args.length);
    int code = cl.execute(argv);
    return new Result(code, out.toString(), err.toString());
  }

  static String adminUrl() {
    return "http://127.0.0.1:" + cp.apilb.adminAddress().getPort();
  }

  @Test
  void printsOneRowPerBackendWithStateFlagsCountersAndReason() {
    Result r = status("--admin", adminUrl());

    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0).split("\\s+")).containsExactly(
        "NAME", "ADDRESS", "STATE", "FLAGS", "IN-FLIGHT", "LONG-RUNNING", "REQUESTS", "LAST-PROBE", "REASON");
    String[] cp1 = lines.get(1).split("\\s+");
    String[] cp2 = lines.get(2).split("\\s+");
    String[] cp3 = lines.get(3).split("\\s+");
    assertThat(cp1[0]).isEqualTo("cp1");
    assertThat(cp1[1]).isEqualTo("127.0.0.1:" + cp.backend("cp1").port());
    assertThat(cp1[2]).isEqualTo("ready");
    assertThat(cp1[3]).isEqualTo("-");
    assertThat(cp1[4]).isEqualTo("0");
    assertThat(cp1[5]).isEqualTo("0");
    assertThat(cp1[7]).isEqualTo("ok");
    assertThat(lines.get(1)).containsPattern("ok \\d+(ms|s) ago");
    assertThat(cp2[0]).isEqualTo("cp2");
    assertThat(cp2[2]).isEqualTo("disabled_by_operator");
    assertThat(cp2[3]).isEqualTo("disabled_by_operator");
    assertThat(lines.get(2)).endsWith("operator: drained via admin");
    assertThat(cp3[2]).isEqualTo("failed_probe");
    assertThat(lines.get(3)).contains("HTTP 500");
    int requests = Integer.parseInt(cp1[6]) + Integer.parseInt(cp2[6]) + Integer.parseInt(cp3[6]);
    assertThat(requests).isGreaterThanOrEqualTo(6);
  }

  @Test
  void columnsAreAligned() {
    List<String> lines = status("--admin", adminUrl()).out().lines().toList();
    for (String column : List.of("ADDRESS", "STATE", "REASON")) {
      int at = lines.get(0).indexOf(column);
      lines.stream().skip(1).forEach(l -> assertThat(l.charAt(at - 1)).as(l).isEqualTo(' '));
      lines.stream().skip(1).forEach(l -> assertThat(l.charAt(at)).as(l).isNotEqualTo(' '));
    }
  }

  @Test
  void jsonPrintsTheBackendsDocument() throws Exception {
    Result r = status("--admin", adminUrl() + "/", "--json");

    assertThat(r.code()).isZero();
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertThat(doc).hasSize(3);
    assertThat(doc.get(1).get("name").asText()).isEqualTo("cp2");
    assertThat(doc.get(1).get("flags").get(0).asText()).isEqualTo("disabled_by_operator");
  }

  @Test
  void livezAndReadyzReportInTheExitCode() {
    assertThat(status("--admin", adminUrl(), "--livez").code()).isZero();
    assertThat(status("--admin", adminUrl(), "--readyz").code()).isZero();
  }

  @Test
  void takesTheAdminAddressFromTheConfigFile() throws Exception {
    Path conf = cp.dir.resolve("status.conf");
    Files.writeString(conf, Files.readString(cp.dir.resolve("apilb.conf"))
        + "\napilb.admin { address = \"0.0.0.0\", port = " + cp.apilb.adminAddress().getPort() + " }\n");

    Result r = status("--config", conf.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("cp1", "cp2", "cp3");
  }

  @Test
  void unreachableAdminPortFailsWithAClearMessage() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Result r = status("--admin", "http://127.0.0.1:" + closed, "--timeout", "2s");
    Result live = status("--admin", "http://127.0.0.1:" + closed, "--livez");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("cannot reach the admin port at http://127.0.0.1:" + closed);
    assertThat(live.code()).isEqualTo(1);
  }

  @Test
  void rejectsANonHttpAdminUrl() {
    Result r = status("--admin", "ftp://127.0.0.1:9445");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--admin must be an http:// or https:// URL");
  }
}
