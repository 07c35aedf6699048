package io.apilb.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import java.io.IOException;
import java.util.Arrays;

/**
 * Decodes one watch event as client-go would: a JSON object, or a protobuf {@code WatchEvent}
 * (the stream's raw serializer) whose object is the enveloped {@code k8s\0} + {@code runtime.Unknown}
 * (the object serializer), decoded with the official Java client's generated classes. Anything
 * malformed is an {@link IOException}, which a watcher counts as a stream error.
 */
public final class WatchEventDecoder {
  static final byte[] MAGIC = {'k', '8', 's', 0};
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One decoded event. {@code code}: the Status code of an ERROR event, else 0. */
  public record Event(String type, String kind, String namespace, String name, long resourceVersion,
      java.util.Map<String, String> data, int code) {}

  private WatchEventDecoder() {}

  public static Event json(byte[] bytes) throws IOException {
    JsonNode ev = JSON.readTree(bytes);
    if (ev == null || !ev.path("type").isTextual() || !ev.path("object").isObject()) {
      throw new IOException("not a watch event: " + new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }
    JsonNode o = ev.get("object");
    JsonNode m = o.path("metadata");
    java.util.Map<String, String> data = new java.util.TreeMap<>();
    o.path("data").fields().forEachRemaining(e -> data.put(e.getKey(), e.getValue().asText()));
    return new Event(ev.get("type").asText(), o.path("kind").asText(), m.path("namespace").asText(""),
        m.path("name").asText(""), rv(m.path("resourceVersion").asText("")), data, o.path("code").asInt(0));
  }

  /** A protobuf {@code WatchEvent} (without the 4-byte length of the HTTP stream framing). */
  public static Event protobuf(byte[] bytes) throws IOException {
    Meta.WatchEvent ev = Meta.WatchEvent.parseFrom(bytes);
    if (ev.getType().isEmpty() || !ev.hasObject()) {
      throw new IOException("protobuf watch event without type or object");
    }
    ByteString raw = ev.getObject().getRaw();
    if (raw.size() < MAGIC.length || !Arrays.equals(raw.substring(0, MAGIC.length).toByteArray(), MAGIC)) {
      throw new IOException("protobuf watch event object without the k8s envelope");
    }
    Runtime.Unknown unknown = Runtime.Unknown.parseFrom(raw.substring(MAGIC.length));
    String kind = unknown.getTypeMeta().getKind();
    if (kind.equals("Status")) {
      Meta.Status s = Meta.Status.parseFrom(unknown.getRaw());
      return new Event(ev.getType(), kind, "", s.getReason(), 0, java.util.Map.of(), s.getCode());
    }
    Meta.ObjectMeta m;
    java.util.Map<String, String> data = java.util.Map.of();
    if (kind.equals("ConfigMap")) {
      V1.ConfigMap cm = V1.ConfigMap.parseFrom(unknown.getRaw());
      m = cm.getMetadata();
      data = new java.util.TreeMap<>(cm.getDataMap());
    } else {
      m = parseMetadataOnly(unknown.getRaw());
    }
    return new Event(ev.getType(), kind, m.getNamespace(), m.getName(), rv(m.getResourceVersion()), data, 0);
  }

  /** Every kube object has {@code 1 metadata}: read that field with ConfigMap's schema (same number). */
  private static Meta.ObjectMeta parseMetadataOnly(ByteString raw) throws IOException {
    return V1.ConfigMap.parseFrom(raw).getMetadata();
  }

  private static long rv(String s) throws IOException {
    if (s.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IOException("resourceVersion is not a number: " + s);
    }
  }
}
