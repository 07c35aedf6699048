package io.apilb.adversarial;

import io.apilb.testing.RawHttp2;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generators of hostile HTTP/2 frame sequences: up to four request streams (bad or duplicate
 * pseudo-headers, upper-case and connection-specific fields, {@code x-remote-*}, wrong
 * content-length, large header lists split over CONTINUATION, bodies in pieces, trailers, DATA
 * after END_STREAM, resets at any point) interleaved at random with connection-level noise
 * (WINDOW_UPDATE, PRIORITY, SETTINGS, PING, unknown frame types). Each generator draws from the
 * {@link Random} it is given, so a seed determines a sequence.
 */
final class Http2Sequences {
  private Http2Sequences() {}


  /** One frame to write. */
  record Frame(int type, int flags, int stream, byte[] payload, String label) {}

  /** One stream's script: its frames in order, and the body it sends whole (null: never whole). */
  record Script(int stream, List<Frame> frames, byte[] wholeBody, boolean endedByClient, boolean resetByClient) {}

  record Sequence(String id, List<Frame> frames, Map<Integer, Script> scripts) {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("case=" + id + "\n");
      frames.forEach(fr -> b.append("  ").append(fr.label()).append('\n'));
      return b.toString();
    }
  }

  static String mutation(int maxBigValue, Random r) {
    return r.nextBoolean()
        ? Fuzz.pick(r, "drop :path", "drop :method", "dup :method", ":foo", "late pseudo", "X-Remote-User",
            "x-remote-user", "x-REMOTE-extra-k", "connection", "te gzip", "te trailers", "transfer-encoding",
            "host", "bad name", "empty path", "path ctl", "cl wrong", "none", "none", "none")
        : "big " + Fuzz.between(r, 1, maxBigValue);
  }

  static List<Map.Entry<String, String>> headers(String path, String method, List<String> mutations, int bodyLen) {
    List<Map.Entry<String, String>> h = new ArrayList<>();
    if (!mutations.contains("drop :method")) {
      h.add(Map.entry(":method", method));
    }
    h.add(Map.entry(":scheme", "https"));
    h.add(Map.entry(":authority", "x"));
    if (!mutations.contains("drop :path")) {
      h.add(Map.entry(":path", mutations.contains("empty path") ? "" : mutations.contains("path ctl")
          ? path.replace("/c?", "/c\u0001?") : path));
    }
    for (String m : mutations) {
      switch (m) {
        case "dup :method" -> h.add(1, Map.entry(":method", "DELETE"));
        case ":foo" -> h.add(0, Map.entry(":foo", "bar"));
        case "late pseudo" -> { h.add(Map.entry("x-a", "b")); h.add(Map.entry(":status", "200")); }
        case "X-Remote-User", "x-remote-user", "x-REMOTE-extra-k" -> h.add(Map.entry(m, "system:admin"));
        case "connection" -> h.add(Map.entry("connection", "keep-alive"));
        case "te gzip" -> h.add(Map.entry("te", "gzip"));
        case "te trailers" -> h.add(Map.entry("te", "trailers"));
        case "transfer-encoding" -> h.add(Map.entry("transfer-encoding", "chunked"));
        case "host" -> h.add(Map.entry("host", "other"));
        case "bad name" -> h.add(Map.entry("bad name", "v"));
        case "cl wrong" -> h.add(Map.entry("content-length", String.valueOf(bodyLen + 3)));
        default -> {
          if (m.startsWith("big ")) {
            h.add(Map.entry("x-big", "v".repeat(Integer.parseInt(m.substring(4)))));
          }
        }
      }
    }
    return h;
  }

  /** How a stream ends: END_STREAM on the last DATA, on trailers, a reset mid-body, DATA after the end, or nothing. */
  enum Ending { END, TRAILERS_XREMOTE, RESET, DATA_AFTER_END, OPEN }

  static Script script(String id, int stream, String method, List<String> mutations, List<String> pieces,
      Ending ending, int continuationSplit) {
    String path = "/api/v1/namespaces/default/configmaps/c?case=" + id + "-" + stream;
    String body = String.join("", pieces);
    List<Frame> out = new ArrayList<>();
    byte[] block = RawHttp2.hpack(headers(path, method, mutations, body.length()));
    boolean endOnHeaders = pieces.isEmpty() && (ending == Ending.END || ending == Ending.DATA_AFTER_END);
    int split = continuationSplit <= 0 || block.length < 2 ? block.length
        : Math.max(1, Math.min(block.length - 1, continuationSplit));
    int firstLen = Math.min(16_000, split);
    int flags = (endOnHeaders ? RawHttp2.END_STREAM : 0) | (firstLen == block.length ? RawHttp2.END_HEADERS : 0);
    out.add(new Frame(RawHttp2.HEADERS, flags, stream, java.util.Arrays.copyOf(block, firstLen),
        "HEADERS " + stream + " " + mutations + (endOnHeaders ? " END_STREAM" : "")));
    for (int off = firstLen; off < block.length; off += 16_000) {
      int end = Math.min(block.length, off + 16_000);
      out.add(new Frame(RawHttp2.CONTINUATION, end == block.length ? RawHttp2.END_HEADERS : 0, stream,
          java.util.Arrays.copyOfRange(block, off, end), "CONTINUATION " + stream + " " + (end - off) + "B"));
    }
    for (int i = 0; i < pieces.size(); i++) {
      boolean last = i == pieces.size() - 1;
      if (last && ending == Ending.RESET) {
        out.add(new Frame(RawHttp2.RST_STREAM, 0, stream, RawHttp2.int32(8), "RST_STREAM " + stream));
      }
      boolean end = last && (ending == Ending.END || ending == Ending.DATA_AFTER_END);
      out.add(new Frame(RawHttp2.DATA, end ? RawHttp2.END_STREAM : 0, stream, pieces.get(i).getBytes(StandardCharsets.UTF_8),
          "DATA " + stream + " " + pieces.get(i).length() + "B" + (end ? " END_STREAM" : "")));
    }
    if (ending == Ending.RESET && pieces.isEmpty()) {
      out.add(new Frame(RawHttp2.RST_STREAM, 0, stream, RawHttp2.int32(8), "RST_STREAM " + stream));
    }
    if (ending == Ending.TRAILERS_XREMOTE) {
      out.add(new Frame(RawHttp2.HEADERS, RawHttp2.END_HEADERS | RawHttp2.END_STREAM, stream,
          RawHttp2.hpack(List.of(Map.entry("x-remote-user", "system:admin"), Map.entry("x-remote-group", "system:masters"))),
          "HEADERS (trailers, x-remote-*) " + stream + " END_STREAM"));
    }
    if (ending == Ending.DATA_AFTER_END) {
      out.add(new Frame(RawHttp2.DATA, RawHttp2.END_STREAM, stream, "EXTRA".getBytes(StandardCharsets.UTF_8),
          "DATA " + stream + " after END_STREAM"));
    }
    boolean ended = ending == Ending.END || ending == Ending.DATA_AFTER_END || ending == Ending.TRAILERS_XREMOTE;
    boolean whole = ended && !mutations.contains("cl wrong");
    return new Script(stream, out, whole ? body.getBytes(StandardCharsets.UTF_8) : null, ended, ending == Ending.RESET);
  }

  static Frame noise(Random r) {
    switch (r.nextInt(7)) {
      case 0 -> {
        int n = Fuzz.between(r, 0, Integer.MAX_VALUE);
        return new Frame(RawHttp2.WINDOW_UPDATE, 0, 0, RawHttp2.int32(n), "WINDOW_UPDATE 0 +" + n);
      }
      case 1 -> {
        int s = Fuzz.pick(r, 1, 3, 5, 7, 9);
        return new Frame(RawHttp2.PRIORITY, 0, s, new byte[] {0, 0, 0, (byte) s, 16}, "PRIORITY " + s + " on itself");
      }
      case 2 -> {
        int id = Fuzz.between(r, 1, 9);
        return new Frame(RawHttp2.SETTINGS, 0, 0, new byte[] {0, (byte) id, (byte) 0x80, 0, 0, 0},
            "SETTINGS id " + id + " = 2^31");
      }
      case 3 -> {
        return new Frame(RawHttp2.PING, 0, 0, new byte[8], "PING");
      }
      case 4 -> {
        return new Frame(0xfa, 0, 1, new byte[] {1, 2, 3}, "unknown type 0xfa");
      }
      case 5 -> {
        return new Frame(RawHttp2.DATA, 0, 0, new byte[] {1}, "DATA on stream 0");
      }
      default -> {
        return new Frame(RawHttp2.HEADERS, RawHttp2.END_HEADERS, 2, new byte[0], "HEADERS on even stream 2");
      }
    }
  }

  /** One stream's arguments for {@link #script}: method, mutations, body pieces, ending, CONTINUATION split. */
  static Object[] streamArgs(int maxBigValue, Random r) {
    String method = Fuzz.pick(r, "POST", "PUT", "GET", "PATCH");
    List<String> mutations = Fuzz.list(r, 0, 2, g -> mutation(maxBigValue, g));
    List<String> pieces = Fuzz.list(r, 0, 3, g -> Fuzz.string(g, ' ', '~', 1, 200));
    Ending ending = Fuzz.pick(r, Ending.values());
    int split = Fuzz.between(r, -1, 60_000) % 40;
    return new Object[] {method, mutations, pieces, ending, split};
  }

  static Sequence sequences(int maxBigValue, boolean withNoise, Random r) {
    List<Object[]> streams = Fuzz.list(r, 1, 4, g -> streamArgs(maxBigValue, g));
    List<Frame> noise = withNoise ? Fuzz.list(r, 0, 3, Http2Sequences::noise) : List.of();
    List<Integer> order = Fuzz.list(r, 40, 40, Random::nextInt);
    return assemble(streams, noise, order);
  }

  @SuppressWarnings("unchecked")
  static Sequence assemble(List<Object[]> streamArgs, List<Frame> noise, List<Integer> order) {
    String id = Http1Streams.ID; // replaced by a fresh id per run
    Map<Integer, Script> scripts = new HashMap<>();
    List<List<Frame>> queues = new ArrayList<>();
    for (int i = 0; i < streamArgs.size(); i++) {
      Object[] a = streamArgs.get(i);
      Script s = script(id, 2 * i + 1, (String) a[0], (List<String>) a[1], (List<String>) a[2], (Ending) a[3],
          (Integer) a[4]);
      scripts.put(s.stream(), s);
      queues.add(new ArrayList<>(s.frames()));
    }
    queues.add(new ArrayList<>(noise));
    // interleave, keeping each stream's order; a header block and its CONTINUATIONs stay together
    List<Frame> out = new ArrayList<>();
    int k = 0;
    while (queues.stream().anyMatch(q -> !q.isEmpty())) {
      List<List<Frame>> live = queues.stream().filter(q -> !q.isEmpty()).toList();
      List<Frame> q = live.get(Math.floorMod(order.get(k++ % order.size()), live.size()));
      Frame fr = q.remove(0);
      out.add(fr);
      while (!q.isEmpty() && q.get(0).type() == RawHttp2.CONTINUATION) {
        out.add(q.remove(0));
      }
    }
    return new Sequence(id, out, scripts);
  }
}
