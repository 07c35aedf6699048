package io.apilb.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.admin.StatusReport.BackendStatus;
import io.apilb.admin.StatusReport.Check;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusPageTest {
  private static final Instant NOW = Instant.parse("2025-05-01T10:00:00Z");

  private static BackendStatus backend(String name, String state, String version, List<Check> checks) {
    return new BackendStatus(name, "10.0.0.1:6443", state, state.equals("ready") ? List.of() : List.of(state),
        "probe: HTTP 500 [-]etcd", NOW.minusSeconds(30), "HTTP 500 [-]etcd", NOW, checks, version, 12.5, 0.025,
        3, 7, 7, 1000, 2);
  }

  @Test
  void showsChecksVersionSkewLeasesAndEscapesEverything() {
    StatusReport r = new StatusReport(NOW, 1, 2, false, true, "front-proxy certificate as system:apilb",
        new StatusReport.Discovery("endpointslice", "EndpointSlice", List.of("10.0.0.1:6443"), NOW,
            "read failed: HTTP 403; keeping the last good set of 2"),
        List.of(backend("cp1", "ready", "v1.33.1", List.of(new Check("etcd", true))),
            backend("cp2", "failed_probe", "v1.34.0", List.of(new Check("etcd", false))),
            backend("cp3", "ready", "v1.33.1", List.of())),
        List.of(new StatusReport.Lease("kube-system", "kube-scheduler", "cp1_<script>", 40.0, 15, 4, NOW, true, "")),
        List.of(new StatusReport.Transition(NOW.minusSeconds(5), "cp2", "ready", "failed_probe", "probe: HTTP 500")));
    String html = StatusPage.render(r);
    assertThat(html).contains("<meta http-equiv=\"refresh\" content=\"5\">")
        .contains("[+]etcd").contains("[-]etcd").contains("v1.34.0 (skew)").doesNotContain("v1.33.1 (skew)")
        .contains("version skew").contains("cp1_&lt;script&gt;").doesNotContain("<script>")
        .contains("40 s ago <b>(stale)</b>").contains("keeping the last good set of 2")
        .contains("ready &rarr; failed_probe").contains("&le; 25 ms").contains("12.5");
  }
}
