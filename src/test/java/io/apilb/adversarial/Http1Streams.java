package io.apilb.adversarial;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generators of hostile HTTP/1.1 byte streams: odd request lines (methods, targets with control
 * characters, spaces, DEL and percent-escapes), hostile header sets (duplicates, obs-fold, bad
 * names, large values, {@code X-Remote-*} in any case) and body framings (Content-Length and
 * chunked, right and wrong), delivered in random pieces, possibly cut short by a close. Each
 * generator draws from the {@link Random} it is given, so a seed determines a case.
 */
final class Http1Streams {
  private Http1Streams() {}

  /**
   * Cases carry this placeholder where their id goes; each run replaces it, byte for byte, by a
   * fresh id of the same length, so that no two runs (tries, reruns of a seed) share an id at the backend.
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

  static String methods(Random r) {
    return r.nextInt(8) < 6 ? Fuzz.pick(r, "POST", "PUT", "PATCH")
        : Fuzz.pick(r, "GET", "DELETE", "OPTIONS", "post", "FOO", "P\u0000ST", "GET\t");
  }

  /** A suffix spliced into the path: usually nothing, else something a strict parser refuses. */
  static String pathNoise(Random r) {
    return r.nextInt(4) < 3 ? ""
        : Fuzz.pick(r, "\u0000", "\u0001", "\u007f", "\u001f", " ", "%00", "%zz", "/../../..", "\t", "\u00ff",
            "#frag", "%2e%2e/", "a".repeat(9000));
  }

  static String version(Random r) {
    return r.nextInt(13) < 12 ? "HTTP/1.1" : Fuzz.pick(r, "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "http/1.1", "HTTP/1.1 ");
  }

  /** An extra header line (ending in CRLF). */
  static String header(Random r) {
    return switch (r.nextInt(9)) {
      case 0, 1 -> "X-" + Fuzz.alpha(r, 1, 12) + ": v\r\n";
      case 2 -> Fuzz.pick(r, "X-Remote-User", "x-remote-group", "X-REMOTE-EXTRA-scopes", "x-ReMoTe-Uid",
          "X-Remote-Extra-", "X-Remote-User ") + ": system:admin\r\n";
      case 3 -> "Host: second\r\n";
      case 4 -> "X-Folded: a\r\n  folded\r\n";
      case 5 -> " X-Leading-Space: v\r\n";
      case 6 -> Fuzz.pick(r, "Bad Name: v\r\n", "X\u0001: v\r\n", ": empty\r\n", "NoColon\r\n", "X-Nul: a\u0000b\r\n");
      case 7 -> "X-Big: " + "v".repeat(Fuzz.between(r, 1, 40_000)) + "\r\n";
      default -> Fuzz.pick(r, "Connection: close\r\n", "Connection: keep-alive, X-Remote-User\r\n",
          "Expect: 100-continue\r\n", "Content-Length: 7\r\n", "Transfer-Encoding: gzip\r\n");
    };
  }

  /** One case with a framing among {@code framings}. */
  static Case cases(List<Framing> framings, Random r) {
    String method = methods(r);
    String noise = pathNoise(r);
    String version = version(r);
    List<String> headers = Fuzz.list(r, 0, 5, Http1Streams::header);
    String body = Fuzz.string(r, ' ', '~', 1, 300);
    Framing framing = Fuzz.pick(r, framings);
    int[] splits = Fuzz.list(r, 0, 4, g -> Fuzz.between(g, 1, 10_000)).stream().mapToInt(Integer::intValue).toArray();
    int pause = Fuzz.between(r, 0, 30);
    int chunkSize = Fuzz.between(r, 1, 9);
    return build(ID, method, noise, version, headers, body, framing, splits, pause, chunkSize);
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
