package io.apilb.controlplane;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed JSON (or YAML) document as an immutable tree, with the navigation the control-plane
 * reads need: {@link #path} never returns null (a missing field is {@link #MISSING}), and the
 * {@code as} accessors fall back to a default.
 *
 * <p>Why not Jackson's {@code JsonNode}: an {@code ObjectMapper} is the only way to build one,
 * and creating the first loads some 300 databind classes and, through its default date format,
 * the JDK's locale data. For the three small documents these reads parse (EndpointSlices, a
 * Lease, {@code /version}) that was about 7 MiB of a per-node sidecar's resident memory. The
 * tree is built with jackson-core's streaming parser instead, which also enforces its read
 * constraints (nesting depth, string and number lengths).
 */
final class JsonValue implements Iterable<JsonValue> {
  /** A field that is not there (or a path through something that is not an object). */
  static final JsonValue MISSING = new JsonValue(Kind.MISSING, null);
  private static final JsonValue NULL = new JsonValue(Kind.NULL, null);
  private static final JsonFactory JSON = new JsonFactory();

  private enum Kind { MISSING, NULL, OBJECT, ARRAY, STRING, NUMBER, BOOLEAN }

  private final Kind kind;
  /** Map of fields, list of elements, String, Number or Boolean, by kind. */
  private final Object value;

  private JsonValue(Kind kind, Object value) {
    this.kind = kind;
    this.value = value;
  }

  /** Parses one JSON document. */
  static JsonValue parse(byte[] json) throws IOException {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p);
    }
  }

  /** Reads one document from {@code p} (a JSON or YAML parser); fails on a document that ends early. */
  static JsonValue parse(JsonParser p) throws IOException {
    JsonToken first = p.nextToken();
    if (first == null) {
      throw new IOException("empty document");
    }
    return value(p, first);
  }

  private static JsonValue value(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case START_OBJECT -> object(p);
      case START_ARRAY -> array(p);
      case VALUE_STRING -> new JsonValue(Kind.STRING, p.getText());
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonValue(Kind.NUMBER, p.getNumberValue());
      case VALUE_TRUE -> new JsonValue(Kind.BOOLEAN, Boolean.TRUE);
      case VALUE_FALSE -> new JsonValue(Kind.BOOLEAN, Boolean.FALSE);
      case VALUE_NULL -> NULL;
      // YAML's !!binary (a kubeconfig may tag its *-data fields so): the base64 text, as databind gave
      case VALUE_EMBEDDED_OBJECT -> p.getEmbeddedObject() instanceof byte[] bytes
          ? new JsonValue(Kind.STRING, java.util.Base64.getEncoder().encodeToString(bytes))
          : NULL;
      default -> throw new IOException("unexpected " + t + " at " + p.currentLocation());
    };
  }

  private static JsonValue object(JsonParser p) throws IOException {
    Map<String, JsonValue> fields = new LinkedHashMap<>();
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      fields.put(name, value(p, next(p)));
    }
    if (t != JsonToken.END_OBJECT) {
      throw new IOException("unexpected " + t + " in an object at " + p.currentLocation());
    }
    return new JsonValue(Kind.OBJECT, Collections.unmodifiableMap(fields));
  }

  private static JsonValue array(JsonParser p) throws IOException {
    List<JsonValue> elements = new java.util.ArrayList<>();
    JsonToken t;
    while ((t = next(p)) != JsonToken.END_ARRAY) {
      elements.add(value(p, t));
    }
    return new JsonValue(Kind.ARRAY, Collections.unmodifiableList(elements));
  }

  /** The next token; the document ending inside a value is an error (the parser reports truncation itself). */
  private static JsonToken next(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == null) {
      throw new IOException("document ends inside a value at " + p.currentLocation());
    }
    return t;
  }

  /** The field {@code name} of an object; {@link #MISSING} when absent or when this is not an object. */
  JsonValue path(String name) {
    if (kind != Kind.OBJECT) {
      return MISSING;
    }
    JsonValue v = fields().get(name);
    return v == null ? MISSING : v;
  }

  /** The field is there and not JSON null. */
  boolean hasNonNull(String name) {
    Kind k = path(name).kind;
    return k != Kind.MISSING && k != Kind.NULL;
  }

  boolean isMissing() {
    return kind == Kind.MISSING;
  }

  boolean isBoolean() {
    return kind == Kind.BOOLEAN;
  }

  /** A boolean's value; false for anything else. */
  boolean asBoolean() {
    return kind == Kind.BOOLEAN && (Boolean) value;
  }

  boolean isTextual() {
    return kind == Kind.STRING;
  }

  /** No elements or fields: true for an empty array or object and for anything that is neither. */
  boolean isEmpty() {
    return switch (kind) {
      case OBJECT -> fields().isEmpty();
      case ARRAY -> elements().isEmpty();
      default -> true;
    };
  }

  /** A string as is, a number or boolean as written; "" for anything else. */
  String asText() {
    return asText("");
  }

  /** As {@link #asText()}, with {@code fallback} for a missing field, null, an object or an array. */
  String asText(String fallback) {
    return switch (kind) {
      case STRING, NUMBER, BOOLEAN -> value.toString();
      default -> fallback;
    };
  }

  /** An integer, or a string holding one; {@code fallback} for anything else (fractions are cut). */
  int asInt(int fallback) {
    if (kind == Kind.NUMBER) {
      return ((Number) value).intValue();
    }
    if (kind == Kind.STRING) {
      try {
        return Integer.parseInt(((String) value).strip());
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
    return fallback;
  }

  /** An array's elements, or an object's field values in document order; nothing for anything else. */
  @Override
  public Iterator<JsonValue> iterator() {
    return switch (kind) {
      case ARRAY -> elements().iterator();
      case OBJECT -> fields().values().iterator();
      default -> Collections.emptyIterator();
    };
  }

  @SuppressWarnings("unchecked")
  private Map<String, JsonValue> fields() {
    return (Map<String, JsonValue>) value;
  }

  @SuppressWarnings("unchecked")
  private List<JsonValue> elements() {
    return (List<JsonValue>) value;
  }

  @Override
  public String toString() {
    return kind + (value == null ? "" : ":" + value);
  }
}
