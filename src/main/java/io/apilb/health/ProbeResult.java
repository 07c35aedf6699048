package io.apilb.health;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one probe, classified by layer (after HAProxy's L4/L6/L7 check statuses): a
 * failed probe is a value, never an exception.
 *
 * @param status HTTP status, or 0 when no response was read
 * @param failedChecks names from {@code [-]name failed} lines of {@code /readyz?verbose}
 * @param detail human-readable cause for failures below HTTP ("connect refused", "timeout after 1s")
 * @param checks every check the verbose body listed, in its order, passed or not (empty when the
 *     probe got no body)
 */
public record ProbeResult(Outcome outcome, int status, List<String> failedChecks, String detail, List<Check> checks) {

  /** One line of {@code /readyz?verbose}: {@code [+]etcd ok} or {@code [-]etcd failed: reason withheld}. */
  public record Check(String name, boolean ok) {}

  /** The layer a probe stopped at. */
  public enum Outcome {
    OK("ok"),
    HTTP_STATUS("status"),
    TIMEOUT("timeout"),
    CONNECT_FAILED("connect"),
    TLS_FAILED("tls"),
    PROTOCOL_ERROR("protocol");

    private final String tag;

    Outcome(String tag) {
      this.tag = tag;
    }

    public String tag() {
      return tag;
    }
  }

  /** The readyz check an apiserver fails from the moment it starts shutting down. */
  public static final String SHUTDOWN_CHECK = "shutdown";

  public ProbeResult {
    Objects.requireNonNull(outcome, "outcome");
    failedChecks = List.copyOf(failedChecks);
    Objects.requireNonNull(detail, "detail");
    checks = List.copyOf(checks);
  }

  public ProbeResult(Outcome outcome, int status, List<String> failedChecks, String detail) {
    this(outcome, status, failedChecks, detail, List.of());
  }

  public static ProbeResult ok(int status) {
    return new ProbeResult(Outcome.OK, status, List.of(), "");
  }

  public static ProbeResult httpStatus(int status, List<String> failedChecks) {
    return new ProbeResult(Outcome.HTTP_STATUS, status, failedChecks, "");
  }

  /** A response read in full: ok on 200, else its status; {@code body} is the verbose readyz text. */
  public static ProbeResult response(int status, String body) {
    List<Check> checks = parseChecks(body);
    if (status == 200) {
      return new ProbeResult(Outcome.OK, status, List.of(), "", checks);
    }
    return new ProbeResult(Outcome.HTTP_STATUS, status, parseFailedChecks(body), "", checks);
  }

  /**
   * Every {@code [+]name ok} and {@code [-]name failed...} line of a verbose readyz body, in order.
   * Check names may contain {@code /} ({@code poststarthook/rbac/bootstrap-roles}).
   */
  public static List<Check> parseChecks(String body) {
    List<Check> checks = new java.util.ArrayList<>();
    for (String line : body.split("\n")) {
      String l = line.strip();
      boolean ok = l.startsWith("[+]");
      if (!ok && !l.startsWith("[-]")) {
        continue;
      }
      int end = l.indexOf(' ', 3);
      String name = end < 0 ? l.substring(3) : l.substring(3, end);
      if (!name.isEmpty()) {
        checks.add(new Check(name, ok));
      }
    }
    return checks;
  }

  /** A failure below HTTP: timeout, connect, TLS or protocol. */
  public static ProbeResult failure(Outcome outcome, String detail) {
    if (outcome == Outcome.OK || outcome == Outcome.HTTP_STATUS) {
      throw new IllegalArgumentException("not a transport failure: " + outcome);
    }
    return new ProbeResult(outcome, 0, List.of(), detail);
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }

  /** The backend said it is shutting down ({@code [-]shutdown}): definitive, no fall counting. */
  public boolean shuttingDown() {
    return outcome == Outcome.HTTP_STATUS && failedChecks.contains(SHUTDOWN_CHECK);
  }

  /** One line for logs, {@code BackendState.lastProbe} and transition reasons. */
  public String summary() {
    return switch (outcome) {
      case OK -> "ok";
      case HTTP_STATUS -> {
        StringBuilder sb = new StringBuilder("HTTP ").append(status);
        for (String check : failedChecks) {
          sb.append(" [-]").append(check);
        }
        yield sb.toString();
      }
      default -> detail;
    };
  }

  /** The {@code result} label of {@code apilb_backend_probes_total}. */
  public String metricTag() {
    return outcome.tag();
  }

  /**
   * Names of failed checks in a verbose readyz body: lines like {@code [-]etcd failed: reason
   * withheld}. Check names may contain {@code /} ({@code poststarthook/rbac/bootstrap-roles}).
   */
  public static List<String> parseFailedChecks(String body) {
    List<String> failed = new java.util.ArrayList<>();
    for (String line : body.split("\n")) {
      String l = line.strip();
      if (!l.startsWith("[-]")) {
        continue;
      }
      int end = l.indexOf(' ', 3);
      String name = end < 0 ? l.substring(3) : l.substring(3, end);
      if (!name.isEmpty()) {
        failed.add(name);
      }
    }
    return failed;
  }
}
