package io.apilb.admin;

import io.apilb.admin.StatusReport.BackendStatus;
import io.apilb.admin.StatusReport.Check;
import io.apilb.admin.StatusReport.Lease;
import io.apilb.admin.StatusReport.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The HTML status page: one self-contained document (inline CSS, no script, no download) that
 * refreshes itself, rendered on the server from a {@link StatusReport}. Pure.
 */
final class StatusPage {
  static final int REFRESH_SECONDS = 5;

  private StatusPage() {}

  static String render(StatusReport r) {
    StringBuilder h = new StringBuilder(16 * 1024);
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
        .append("<title>apilb: ").append(r.readyBackends()).append('/').append(r.totalBackends())
        .append(" apiservers ready</title><style>").append(CSS).append("</style></head><body>");
    h.append("<header><h1>apilb control plane</h1><p>")
        .append(r.readyBackends()).append(" of ").append(r.totalBackends()).append(" apiservers ready")
        .append(r.panic() ? " &middot; <span class=\"bad\">panic mode</span>" : "")
        .append(r.versionSkew() ? " &middot; <span class=\"warn\">version skew</span>" : "")
        .append(" &middot; generated ").append(esc(r.generatedAt().toString()))
        .append(" &middot; refreshes every ").append(REFRESH_SECONDS).append(" s &middot; <a href=\"/status\">JSON</a>")
        .append("</p></header>");
    backends(h, r);
    leases(h, r);
    discovery(h, r);
    transitions(h, r);
    h.append("</body></html>\n");
    return h.toString();
  }

  /** The version most backends report: the others stand out during an upgrade. */
  private static String usualVersion(StatusReport r) {
    java.util.Map<String, Long> counts = new java.util.HashMap<>();
    r.backends().forEach(b -> counts.merge(b.version(), 1L, Long::sum));
    return counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey)
        .orElse("");
  }

  private static void backends(StringBuilder h, StatusReport r) {
    String usual = usualVersion(r);
    h.append("<section><h2>Apiservers</h2><table><thead><tr><th>backend</th><th>state</th><th>readyz checks</th>")
        .append("<th>version</th><th>req/s</th><th>p99</th><th>in flight</th><th>watches</th><th>retries</th>")
        .append("</tr></thead><tbody>");
    for (BackendStatus b : r.backends()) {
      boolean ready = b.state().equals("ready");
      h.append("<tr class=\"").append(ready ? "ok" : "bad").append("\"><td><b>").append(esc(b.name()))
          .append("</b><br><small>").append(esc(b.address())).append("</small></td><td><b>")
          .append(esc(b.state())).append("</b>");
      if (!b.flags().isEmpty()) {
        h.append("<br><small>flags: ").append(esc(String.join(", ", b.flags()))).append("</small>");
      }
      h.append("<br><small>").append(esc(b.reason())).append(" &middot; since ")
          .append(esc(ago(b.since(), r.generatedAt()))).append("</small><br><small>last probe: ")
          .append(esc(b.lastProbe())).append(b.lastProbeAt() == null ? "" : " " + esc(ago(b.lastProbeAt(), r.generatedAt())))
          .append("</small></td><td class=\"checks\">");
      for (Check c : b.checks()) {
        h.append("<span class=\"").append(c.ok() ? "pass" : "fail").append("\">").append(c.ok() ? "[+]" : "[-]")
            .append(esc(c.name())).append("</span> ");
      }
      if (b.checks().isEmpty()) {
        h.append("<small>no verbose readyz yet</small>");
      }
      boolean odd = r.versionSkew() && !b.version().equals(usual);
      h.append("</td><td class=\"").append(odd ? "warn" : "").append("\">")
          .append(esc(b.version().isEmpty() ? "?" : b.version())).append(odd ? " (skew)" : "").append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", b.requestsPerSecond())).append("</td><td>")
          .append(b.p99Seconds() == null ? "&ndash;" : "&le; " + esc(millis(b.p99Seconds()))).append("</td><td>")
          .append(b.inFlight()).append("</td><td>").append(b.watches()).append("</td><td>").append(b.retries())
          .append("</td></tr>");
    }
    h.append("</tbody></table></section>");
  }

  private static void leases(StringBuilder h, StatusReport r) {
    h.append("<section><h2>Leader election</h2><table><thead><tr><th>lease</th><th>holder</th>")
        .append("<th>last renewal</th><th>duration</th><th>transitions</th><th>acquired</th></tr></thead><tbody>");
    for (Lease l : r.leases()) {
      h.append("<tr class=\"").append(l.stale() || !l.error().isEmpty() ? "bad" : "ok").append("\"><td>")
          .append(esc(l.namespace() + "/" + l.name())).append("</td><td><b>")
          .append(esc(l.holder().isEmpty() ? "(none)" : l.holder())).append("</b>");
      if (!l.error().isEmpty()) {
        h.append("<br><small class=\"bad\">").append(esc(l.error())).append("</small>");
      }
      h.append("</td><td>").append(l.renewAgeSeconds() == null ? "&ndash;"
              : esc(String.format(Locale.ROOT, "%.0f s ago", l.renewAgeSeconds())) + (l.stale() ? " <b>(stale)</b>" : ""))
          .append("</td><td>").append(l.leaseDurationSeconds()).append(" s</td><td>").append(l.transitions())
          .append("</td><td>").append(l.acquireTime() == null ? "&ndash;" : esc(l.acquireTime().toString()))
          .append("</td></tr>");
    }
    if (r.leases().isEmpty()) {
      h.append("<tr><td colspan=\"6\">no leases configured (apilb.control-plane.leases)</td></tr>");
    }
    h.append("</tbody></table></section>");
  }

  private static void discovery(StringBuilder h, StatusReport r) {
    StatusReport.Discovery d = r.discovery();
    h.append("<section><h2>Discovery</h2><p>mode <b>").append(esc(d.mode())).append("</b>");
    if (!d.source().isEmpty()) {
      h.append(" &middot; from ").append(esc(d.source())).append(" default/kubernetes: ")
          .append(esc(String.join(", ", d.endpoints()))).append(" &middot; read ")
          .append(esc(ago(d.lastSuccess(), r.generatedAt())));
    }
    if (!d.message().isEmpty()) {
      h.append("<br><span class=\"warn\">").append(esc(d.message())).append("</span>");
    }
    h.append("<br><small>API reads as ").append(esc(r.identity())).append("</small></p></section>");
  }

  private static void transitions(StringBuilder h, StatusReport r) {
    h.append("<section><h2>Recent transitions</h2><table><thead><tr><th>when</th><th>backend</th><th>change</th>")
        .append("<th>reason</th></tr></thead><tbody>");
    for (Transition t : r.transitions()) {
      h.append("<tr><td>").append(esc(ago(t.at(), r.generatedAt()))).append("</td><td>").append(esc(t.backend()))
          .append("</td><td>").append(esc(t.from())).append(" &rarr; ").append(esc(t.to())).append("</td><td>")
          .append(esc(t.reason())).append("</td></tr>");
    }
    if (r.transitions().isEmpty()) {
      h.append("<tr><td colspan=\"4\">none yet</td></tr>");
    }
    h.append("</tbody></table></section>");
  }

  static String ago(Instant then, Instant now) {
    if (then == null || then.equals(Instant.EPOCH)) {
      return "never";
    }
    long s = Math.max(0, Duration.between(then, now).toSeconds());
    return s < 120 ? s + " s ago" : s < 7200 ? (s / 60) + " min ago" : (s / 3600) + " h ago";
  }

  private static String millis(double seconds) {
    return seconds >= 1 ? String.format(Locale.ROOT, "%.1f s", seconds)
        : String.format(Locale.ROOT, "%.0f ms", seconds * 1000);
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static final String CSS = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
      + "h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin:1.2em 0 .4em}header p{margin:.3em 0;color:#555}"
      + "table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ddd;padding:.35em .5em;"
      + "text-align:left;vertical-align:top}th{background:#eee}tr.ok td:first-child{border-left:4px solid #2a7}"
      + "tr.bad td:first-child{border-left:4px solid #c33}.bad{color:#b22}.warn{color:#b60;font-weight:bold}"
      + ".checks span{display:inline-block;font:12px monospace;margin:1px 2px}.pass{color:#176}.fail{color:#b22;"
      + "font-weight:bold}small{color:#666}";
}
