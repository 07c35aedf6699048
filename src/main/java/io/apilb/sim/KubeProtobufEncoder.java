package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Encodes the simulator's (JSON) objects as kube-apiserver's protobuf, for protobuf watches.
 *
 * <p>Field numbers are those of kube's {@code generated.proto} files, checked against the official
 * Java client's generated classes ({@code io.kubernetes:client-java-proto} 24.0.0:
 * {@code Meta.WatchEvent}, {@code Meta.ObjectMeta}, {@code Meta.Time}, {@code Meta.Status},
 * {@code Meta.ListMeta}, {@code Meta.StatusDetails}, {@code Runtime.Unknown},
 * {@code Runtime.TypeMeta}, {@code Runtime.RawExtension}, {@code V1.ConfigMap}). Fields are
 * written in ascending number, strings even when empty and map entries sorted by key, as the
 * gogo-protobuf code kube-apiserver runs does.
 *
 * <p>A watch stream nests two encodings (apimachinery's watch encoder): each event is a
 * {@code WatchEvent} written by the <em>raw</em> protobuf serializer (no envelope), and its
 * {@code object.raw} holds the object as the normal protobuf serializer writes it, with the
 * envelope: {@code k8s\0} then a {@code runtime.Unknown}.
 *
 * <p>ConfigMaps carry metadata, data, binaryData and immutable; Status carries everything the
 * simulator sets; every other kind (Namespace, Pod, and the objects of BOOKMARK events) carries
 * only its metadata: the simulator's clients of protobuf watches read no more.
 */
final class KubeProtobufEncoder {
  static final String WATCH_CONTENT_TYPE = KubeProtobuf.MEDIA_TYPE + ";stream=watch";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private KubeProtobufEncoder() {}

  /** One watch event: {@code WatchEvent{1 type, 2 object: RawExtension{1 raw}}}, without envelope. */
  static byte[] watchEvent(String type, ObjectNode object) {
    return new ProtobufWriter()
        .string(1, type)
        .message(2, new ProtobufWriter().bytes(1, envelope(object)))
        .toByteArray();
  }

  /** {@code k8s\0} + {@code Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}}. */
  static byte[] envelope(ObjectNode object) {
    String kind = KubeJson.text(object, "kind");
    String apiVersion = KubeJson.text(object, "apiVersion");
    ProtobufWriter unknown = new ProtobufWriter()
        .message(1, new ProtobufWriter().string(1, apiVersion == null ? "v1" : apiVersion)
            .string(2, kind == null ? "" : kind))
        .bytes(2, object(kind, object))
        .string(3, "")
        .string(4, "");
    return new ProtobufWriter().raw(MAGIC).raw(unknown.toByteArray()).toByteArray();
  }

  private static byte[] object(String kind, ObjectNode o) {
    if ("Status".equals(kind)) {
      return status(o);
    }
    ProtobufWriter w = new ProtobufWriter().message(1, objectMeta(o.path("metadata")));
    if ("ConfigMap".equals(kind)) {
      // ConfigMap{1 metadata, 2 data, 3 binaryData, 4 immutable}
      for (String key : sortedKeys(o.path("data"))) {
        w.mapEntry(2, key, o.path("data").path(key).asText().getBytes(StandardCharsets.UTF_8));
      }
      for (String key : sortedKeys(o.path("binaryData"))) {
        w.mapEntry(3, key, Base64.getDecoder().decode(o.path("binaryData").path(key).asText()));
      }
      if (o.path("immutable").isBoolean()) {
        w.varint(4, o.path("immutable").asBoolean() ? 1 : 0);
      }
    }
    return w.toByteArray();
  }

  /**
   * ObjectMeta{1 name, 2 generateName, 3 namespace, 4 selfLink, 5 uid, 6 resourceVersion,
   * 7 generation, 8 creationTimestamp: Time{1 seconds, 2 nanos}, 11 labels, 12 annotations,
   * 14 finalizers}; owner references, deletion fields and managedFields are not kept by the simulator.
   */
  static ProtobufWriter objectMeta(JsonNode m) {
    ProtobufWriter w = new ProtobufWriter()
        .string(1, m.path("name").asText(""))
        .string(2, m.path("generateName").asText(""))
        .string(3, m.path("namespace").asText(""))
        .string(4, m.path("selfLink").asText(""))
        .string(5, m.path("uid").asText(""))
        .string(6, m.path("resourceVersion").asText(""))
        .varint(7, m.path("generation").asLong(0))
        .message(8, time(m.path("creationTimestamp").asText(null)));
    for (String key : sortedKeys(m.path("labels"))) {
      w.mapEntry(11, key, m.path("labels").path(key).asText().getBytes(StandardCharsets.UTF_8));
    }
    for (String key : sortedKeys(m.path("annotations"))) {
      w.mapEntry(12, key, m.path("annotations").path(key).asText().getBytes(StandardCharsets.UTF_8));
    }
    for (JsonNode f : m.path("finalizers")) {
      w.string(14, f.asText());
    }
    return w;
  }

  /** metav1.Time: a zero (unset) time is an empty message, as kube's Time marshaller writes it. */
  private static ProtobufWriter time(String rfc3339) {
    ProtobufWriter w = new ProtobufWriter();
    if (rfc3339 == null || rfc3339.isEmpty()) {
      return w;
    }
    try {
      Instant t = Instant.parse(rfc3339);
      return w.varint(1, t.getEpochSecond()).varint(2, t.getNano());
    } catch (DateTimeParseException e) {
      return w;
    }
  }

  /**
   * Status{1 metadata: ListMeta{1 selfLink, 2 resourceVersion, 3 continue}, 2 status, 3 message,
   * 4 reason, 5 details: StatusDetails{1 name, 2 group, 3 kind, 4 causes, 5 retryAfterSeconds, 6 uid},
   * 6 code}.
   */
  private static byte[] status(ObjectNode s) {
    JsonNode meta = s.path("metadata");
    ProtobufWriter w = new ProtobufWriter()
        .message(1, new ProtobufWriter().string(1, meta.path("selfLink").asText(""))
            .string(2, meta.path("resourceVersion").asText("")).string(3, meta.path("continue").asText("")))
        .string(2, s.path("status").asText(""))
        .string(3, s.path("message").asText(""))
        .string(4, s.path("reason").asText(""));
    JsonNode d = s.path("details");
    if (d.isObject()) {
      w.message(5, new ProtobufWriter().string(1, d.path("name").asText("")).string(2, d.path("group").asText(""))
          .string(3, d.path("kind").asText("")).varint(5, d.path("retryAfterSeconds").asInt(0))
          .string(6, d.path("uid").asText("")));
    }
    return w.varint(6, s.path("code").asInt(0)).toByteArray();
  }

  private static List<String> sortedKeys(JsonNode map) {
    List<String> keys = new ArrayList<>();
    if (map.isObject()) {
      for (Iterator<String> it = map.fieldNames(); it.hasNext(); ) {
        keys.add(it.next());
      }
      keys.sort(null);
    }
    return keys;
  }

  /**
   * Whether content negotiation on {@code accept} picks protobuf over JSON: the range with the
   * highest q-value the simulator can serve wins, the earlier on a tie (so client-go's
   * {@code application/vnd.kubernetes.protobuf, application/json} gets protobuf).
   */
  static boolean prefersProtobuf(String accept) {
    if (accept == null) {
      return false;
    }
    double bestQ = -1;
    boolean best = false;
    for (String range : accept.split(",")) {
      String[] parts = range.trim().split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean protobuf = type.equals(KubeProtobuf.MEDIA_TYPE);
      if (!protobuf && !type.equals("application/json") && !type.equals("application/*") && !type.equals("*/*")) {
        continue;
      }
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String p = parts[i].trim();
        if (p.startsWith("q=")) {
          try {
            q = Double.parseDouble(p.substring(2));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (q > bestQ) {
        bestQ = q;
        best = protobuf;
      }
    }
    return best && bestQ > 0;
  }
}
