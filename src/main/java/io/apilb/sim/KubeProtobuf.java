package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

/**
 * Decodes the {@code application/vnd.kubernetes.protobuf} request bodies client-go's typed
 * clients send (kubectl create configmap / namespace) into JSON. Only ConfigMap and Namespace,
 * and only the fields the simulator keeps; responses are always JSON (clients accept it).
 */
final class KubeProtobuf {
  static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private KubeProtobuf() {}

  static boolean isProtobuf(String contentType) {
    return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith(MEDIA_TYPE);
  }

  static ObjectNode decode(ResourceKind kind, byte[] body) {
    if (body.length < 4 || !Arrays.equals(Arrays.copyOf(body, 4), MAGIC)) {
      throw ApiException.badRequest("protobuf body without the k8s envelope");
    }
    Reader unknown = new Reader(body, 4, body.length);
    String apiVersion = null;
    String typeKind = null;
    byte[] raw = null;
    while (unknown.more()) {
      int tag = unknown.tag();
      switch (tag >>> 3) {
        case 1 -> {
          Reader tm = unknown.message();
          while (tm.more()) {
            int t = tm.tag();
            if (t >>> 3 == 1) {
              apiVersion = tm.string();
            } else if (t >>> 3 == 2) {
              typeKind = tm.string();
            } else {
              tm.skip(t);
            }
          }
        }
        case 2 -> raw = unknown.bytes();
        default -> unknown.skip(tag);
      }
    }
    if (raw == null) {
      throw ApiException.badRequest("protobuf envelope without an object");
    }
    if (typeKind != null && !typeKind.isEmpty() && !typeKind.equals(kind.kind)) {
      throw ApiException.badRequest("protobuf body holds a " + typeKind + ", expected " + kind.kind);
    }
    ObjectNode out = KubeJson.F.objectNode();
    out.put("kind", kind.kind).put("apiVersion", apiVersion == null || apiVersion.isEmpty() ? "v1" : apiVersion);
    Reader r = new Reader(raw, 0, raw.length);
    while (r.more()) {
      int tag = r.tag();
      int field = tag >>> 3;
      if (field == 1) {
        out.set("metadata", objectMeta(r.message()));
      } else if (kind == ResourceKind.CONFIGMAPS && field == 2) {
        mapEntry(r.message(), out.with("data"), false);
      } else if (kind == ResourceKind.CONFIGMAPS && field == 3) {
        mapEntry(r.message(), out.with("binaryData"), true);
      } else if (kind == ResourceKind.CONFIGMAPS && field == 4) {
        out.put("immutable", r.varint() != 0);
      } else if (kind == ResourceKind.NAMESPACES && field == 2) {
        Reader spec = r.message();
        ObjectNode s = out.with("spec");
        while (spec.more()) {
          int t = spec.tag();
          if (t >>> 3 == 1) {
            s.withArray("finalizers").add(spec.string());
          } else {
            spec.skip(t);
          }
        }
      } else {
        r.skip(tag);
      }
    }
    return out;
  }

  private static ObjectNode objectMeta(Reader r) {
    ObjectNode m = KubeJson.F.objectNode();
    while (r.more()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> putNonEmpty(m, "name", r.string());
        case 2 -> putNonEmpty(m, "generateName", r.string());
        case 3 -> putNonEmpty(m, "namespace", r.string());
        case 5 -> putNonEmpty(m, "uid", r.string());
        case 6 -> putNonEmpty(m, "resourceVersion", r.string());
        case 8 -> {
          Reader t = r.message();
          long seconds = 0;
          while (t.more()) {
            int tt = t.tag();
            if (tt >>> 3 == 1) {
              seconds = t.varint();
            } else {
              t.skip(tt);
            }
          }
          if (seconds != 0) {
            m.put("creationTimestamp", Instant.ofEpochSecond(seconds).toString());
          }
        }
        case 11 -> mapEntry(r.message(), m.with("labels"), false);
        case 12 -> mapEntry(r.message(), m.with("annotations"), false);
        case 14 -> m.withArray("finalizers").add(r.string());
        default -> r.skip(tag);
      }
    }
    return m;
  }

  private static void putNonEmpty(ObjectNode m, String field, String value) {
    if (!value.isEmpty()) {
      m.put(field, value);
    }
  }

  private static void mapEntry(Reader r, ObjectNode into, boolean binary) {
    String key = "";
    byte[] value = new byte[0];
    while (r.more()) {
      int tag = r.tag();
      if (tag >>> 3 == 1) {
        key = r.string();
      } else if (tag >>> 3 == 2) {
        value = r.bytes();
      } else {
        r.skip(tag);
      }
    }
    into.put(key, binary ? Base64.getEncoder().encodeToString(value) : new String(value, StandardCharsets.UTF_8));
  }

  /** A protobuf wire-format reader over a byte range. */
  private static final class Reader {
    private final byte[] buf;
    private int pos;
    private final int end;

    Reader(byte[] buf, int from, int to) {
      this.buf = buf;
      this.pos = from;
      this.end = to;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw ApiException.badRequest("truncated protobuf");
        }
        byte b = buf[pos++];
        v |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw ApiException.badRequest("malformed protobuf varint");
    }

    int tag() {
      return (int) varint();
    }

    byte[] bytes() {
      int len = (int) varint();
      if (len < 0 || pos + len > end) {
        throw ApiException.badRequest("truncated protobuf");
      }
      byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
      pos += len;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    Reader message() {
      int len = (int) varint();
      if (len < 0 || pos + len > end) {
        throw ApiException.badRequest("truncated protobuf");
      }
      Reader r = new Reader(buf, pos, pos + len);
      pos += len;
      return r;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int len = (int) varint();
          pos += len;
        }
        case 5 -> pos += 4;
        default -> throw ApiException.badRequest("unsupported protobuf wire type " + (tag & 7));
      }
      if (pos > end) {
        throw ApiException.badRequest("truncated protobuf");
      }
    }
  }
}
