package io.apilb.adversarial;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of hostile HTTP/1.1 byte streams: odd request lines (methods, targets with control
 * characters, spaces, DEL and percent-escapes), hostile header sets (duplicates, obs-fold, bad
 * names, large values, {@code X-Remote-*} in any case) and body framings (Content-Length and
 * chunked, right and wrong), delivered in random pieces, possibly cut short by a close.
 */
final class Http1Streams {
  private Http1Streams() {}

  /**
   * Cases carry this placeholder where their id goes; each run replaces it, byte for byte, by a
   * fresh id of the same length, so that no two runs (tries, shrink steps) share an id at the backend.
   */
  static final String ID = "@@@@@@@@@@@@@@@@";
  static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

  static String freshId() {
    return String.format("%016x", IDS.incrementAndGet());
  }

  /** {@code bytes} with every placeholder replaced by {@code id}. */
  static byte[] withId(byte[] bytes, String id) {
    byte[] out = bytes.clone();
    byte[] ph = ID.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + ph.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + ph.length, ph, 0, ph.length)) {
        System.arraycopy(id.getBytes(StandardCharsets.US_ASCII), 0, out, i, ph.length);
      }
    }
    return out;
  }

  /** How the body is framed; the {@code broken} ones never make a whole request. */
  enum Framing {
    NONE(false), LENGTH(false), CHUNKED(false), CHUNKED_XREMOTE_TRAILERS(false), LENGTH_AND_CHUNKED(false),
    LENGTH_CUT(true), CHUNKED_CUT(true), CHUNKED_BAD_SIZE(true), CHUNKED_OVERRUN(true);

    final boolean broken;

    Framing(boolean broken) {
      this.broken = broken;
    }
  }

  /**
   * One generated connection. {@code wholeBody}: the only body a backend may complete for this
   * case, or null when the client never sent a whole request. {@code closeAfterWrite}: the client
   * hangs up once written (truncations), so no answer is awaited.
   */
  record Case(String id, String text, List<byte[]> pieces, long pauseMillis, boolean closeAfterWrite,
      byte[] wholeBody, Framing framing) {
    @Override
    public String toString() {
      String shown = text.length() > 400 ? text.substring(0, 400) + "…(" + text.length() + " chars)" : text;
      return framing + " pieces=" + pieces.size() + " pause=" + pauseMillis + "ms close=" + closeAfterWrite + "\n"
          + shown.replace("\r", "\\r").replace("\n", "\\n\n");
    }
  }

  static Arbitrary<String> methods() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.of("POST", "PUT", "PATCH")),
        net.jqwik.api.Tuple.of(2, Arbitraries.of("GET", "DELETE", "OPTIONS", "post", "FOO", "P\u0000ST", "GET\t")));
  }

  /** A suffix spliced into the path: usually nothing, else something a strict parser refuses. */
  static Arbitrary<String> pathNoise() {
    return Arbitraries.oneOf(Arbitraries.just(""), Arbitraries.just(""), Arbitraries.just(""),
        Arbitraries.of("\u0000", "\u0001", "\u007f", "\u001f", " ", "%00", "%zz", "/../../..", "\t", "\u00ff",
            "#frag", "%2e%2e/", "a".repeat(9000)));
  }

  static Arbitrary<String> version() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(12, Arbitraries.just("HTTP/1.1")),
        net.jqwik.api.Tuple.of(1, Arbitraries.of("HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "http/1.1", "HTTP/1.1 ")));
  }

  /** Extra header lines (each ending in CRLF). */
  static Arbitrary<String> header() {
    Arbitrary<String> remoteName = Arbitraries.of("X-Remote-User", "x-remote-group", "X-REMOTE-EXTRA-scopes",
        "x-ReMoTe-Uid", "X-Remote-Extra-", "X-Remote-User ");
    Arbitrary<String> benign = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12)
        .map(n -> "X-" + n + ": v\r\n");
    return Arbitraries.oneOf(
        benign, benign,
        remoteName.map(n -> n + ": system:admin\r\n"),
        Arbitraries.just("Host: second\r\n"),
        Arbitraries.just("X-Folded: a\r\n  folded\r\n"),
        Arbitraries.just(" X-Leading-Space: v\r\n"),
        Arbitraries.of("Bad Name: v\r\n", "X\u0001: v\r\n", ": empty\r\n", "NoColon\r\n", "X-Nul: a\u0000b\r\n"),
        Arbitraries.integers().between(1, 40_000).map(n -> "X-Big: " + "v".repeat(n) + "\r\n"),
        Arbitraries.of("Connection: close\r\n", "Connection: keep-alive, X-Remote-User\r\n",
            "Expect: 100-continue\r\n", "Content-Length: 7\r\n", "Transfer-Encoding: gzip\r\n"));
  }

  static Arbitrary<Case> cases(List<Framing> framings) {
    Arbitrary<String> id = Arbitraries.just(ID);
    Arbitrary<String> body = Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(300);
    Arbitrary<List<String>> headers = header().list().ofMaxSize(5);
    Arbitrary<List<Integer>> splits = Arbitraries.integers().between(1, 10_000).list().ofMaxSize(4);
    return Combinators.combine(id, methods(), pathNoise(), version(), headers, body, Arbitraries.of(framings),
            Combinators.combine(splits, Arbitraries.integers().between(0, 30), Arbitraries.integers().between(1, 9))
                .as((s, pause, size) -> new int[][] {s.stream().mapToInt(Integer::intValue).toArray(), {pause, size}}))
        .as((i, m, noise, v, hs, b, fr, delivery) -> build(i, m, noise, v, hs, b, fr, delivery[0], delivery[1][0],
            delivery[1][1]));
  }

  static Case build(String id, String method, String noise, String version, List<String> headers, String body,
      Framing framing, int[] splits, int pause, int chunkSize) {
    StringBuilder head = new StringBuilder(method).append(" /api/v1/namespaces/default/configmaps/c").append(noise)
        .append("?case=").append(id).append(' ').append(version).append("\r\nHost: x\r\n");
    headers.forEach(head::append);
    boolean hasLength = headers.stream().anyMatch(h -> h.toLowerCase().startsWith("content-length"));
    boolean hasTe = headers.stream().anyMatch(h -> h.toLowerCase().startsWith("transfer-encoding"));
    String chunked = chunks(body, chunkSize);
    String rest;
    switch (framing) {
      case NONE -> rest = "\r\n";
      case LENGTH, LENGTH_CUT -> rest = "Content-Length: " + body.length() + "\r\n\r\n" + body;
      case CHUNKED, CHUNKED_CUT -> rest = "Transfer-Encoding: chunked\r\n\r\n" + chunked + "0\r\n\r\n";
      case CHUNKED_XREMOTE_TRAILERS -> rest = "Transfer-Encoding: chunked\r\n\r\n" + chunked
          + "0\r\nX-Remote-User: system:admin\r\nx-remote-GROUP: system:masters\r\n\r\n";
      case LENGTH_AND_CHUNKED -> rest = "Content-Length: " + (body.length() / 2) + "\r\nTransfer-Encoding: chunked\r\n\r\n"
          + chunked + "0\r\n\r\n";
      case CHUNKED_BAD_SIZE -> rest = "Transfer-Encoding: chunked\r\n\r\n" + chunked
          + List.of("zz", "-1", "", "0x5", "1g", "fffffffffffffffffff").get(chunkSize % 6) + "\r\nmore\r\n0\r\n\r\n";
      case CHUNKED_OVERRUN -> rest = "Transfer-Encoding: chunked\r\n\r\n1\r\n" + body + "x\r\n0\r\n\r\n";
      default -> throw new IllegalStateException();
    }
    String text = head + rest;
    if (framing == Framing.LENGTH_CUT || framing == Framing.CHUNKED_CUT) {
      text = text.substring(0, text.length() - 1 - (splits.length == 0 ? 0 : splits[0] % Math.min(body.length(), 5)));
    }
    // Only a whole, well-formed request may complete at a backend, with exactly this body
    // an extra "Transfer-Encoding: gzip" before our chunked one is still chunked-framed ("gzip, chunked")
    boolean chunkedLast = framing == Framing.CHUNKED || framing == Framing.CHUNKED_XREMOTE_TRAILERS
        || framing == Framing.LENGTH_AND_CHUNKED;
    boolean ambiguous = hasLength || (hasTe && !chunkedLast) || framing.broken;
    byte[] whole = ambiguous ? null : (framing == Framing.NONE ? new byte[0] : body.getBytes(StandardCharsets.ISO_8859_1));
    if (framing == Framing.LENGTH_AND_CHUNKED && !hasLength) {
      whole = body.getBytes(StandardCharsets.ISO_8859_1); // Transfer-Encoding wins (RFC 9112 6.3), or a refusal
    }
    return new Case(id, text, pieces(text.getBytes(StandardCharsets.ISO_8859_1), splits), pause,
        framing == Framing.LENGTH_CUT || framing == Framing.CHUNKED_CUT, whole, framing);
  }

  static String chunks(String body, int size) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < body.length(); i += size) {
      String part = body.substring(i, Math.min(body.length(), i + size));
      b.append(Integer.toHexString(part.length())).append(size % 3 == 0 ? ";ext=1" : "").append("\r\n")
          .append(part).append("\r\n");
    }
    return b.toString();
  }

  static List<byte[]> pieces(byte[] all, int[] splits) {
    int[] cuts = java.util.Arrays.stream(splits).map(s -> s % all.length).sorted().distinct().toArray();
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      if (c > from) {
        out.add(java.util.Arrays.copyOfRange(all, from, c));
        from = c;
      }
    }
    out.add(java.util.Arrays.copyOfRange(all, from, all.length));
    return out;
  }

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    parts.forEach(b::writeBytes);
    return b.toByteArray();
  }
}
