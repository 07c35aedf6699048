package io.apilb.proxy;

import io.netty.util.AsciiString;

/**
 * HTTP/2 wants lower-case header names, and an apiserver's HTTP/1.1 response names are mixed case
 * ({@code Content-Type}, {@code Audit-Id}, {@code X-Kubernetes-Pf-Flowschema-Uid}): lower-casing
 * each one allocated a name per header per response. The names an apiserver sends on every
 * response come from this fixed table, found by a case-insensitive hash without a copy; any other
 * name is lower-cased as before.
 */
final class LowerCaseHeaderNames {
  private static final String[] COMMON = {
    "content-type", "content-length", "content-encoding", "transfer-encoding", "date", "audit-id",
    "cache-control", "x-content-type-options", "x-kubernetes-pf-flowschema-uid",
    "x-kubernetes-pf-prioritylevel-uid", "warning", "retry-after", "location", "vary", "etag",
    "last-modified", "www-authenticate", "x-backend", "x-sim-backend", "server", "strict-transport-security",
  };
  private static final int MASK = 63;
  private static final AsciiString[] TABLE = new AsciiString[MASK + 1];

  static {
    for (String name : COMMON) {
      AsciiString lower = AsciiString.cached(name);
      int i = AsciiString.hashCode(lower) & MASK;
      while (TABLE[i] != null) {
        i = (i + 1) & MASK; // linear probing; the table is sparse
      }
      TABLE[i] = lower;
    }
  }

  private LowerCaseHeaderNames() {}

  /** {@code name} in lower case: a shared constant for the common names, else a lower-cased copy if needed. */
  static AsciiString of(CharSequence name) {
    int i = AsciiString.hashCode(name) & MASK; // case-insensitive hash
    for (AsciiString candidate; (candidate = TABLE[i]) != null; i = (i + 1) & MASK) {
      if (candidate.length() == name.length() && candidate.contentEqualsIgnoreCase(name)) {
        return candidate;
      }
    }
    return AsciiString.of(name).toLowerCase();
  }
}
