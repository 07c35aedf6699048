package io.apilb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonValueTest {

  @Test
  void navigatesObjectsArraysAndScalars() throws IOException {
    JsonValue v = json("""
        {"s":"text","i":42,"f":1.5,"t":true,"n":null,"a":[1,"two",{"x":3}],"o":{"k":"v"},"e":[]}""");
    assertThat(v.path("s").asText()).isEqualTo("text");
    assertThat(v.path("s").isTextual()).isTrue();
    assertThat(v.path("i").asInt(-1)).isEqualTo(42);
    assertThat(v.path("i").asText()).isEqualTo("42");
    assertThat(v.path("f").asInt(-1)).isEqualTo(1);
    assertThat(v.path("t").asText()).isEqualTo("true");
    assertThat(v.path("o").path("k").asText()).isEqualTo("v");
    List<String> elements = new ArrayList<>();
    v.path("a").forEach(e -> elements.add(e.asText("-")));
    assertThat(elements).containsExactly("1", "two", "-");
    assertThat(v.path("e").isEmpty()).isTrue();
    assertThat(v.path("a").isEmpty()).isFalse();
  }

  @Test
  void missingAndNullFallBackWithoutFailing() throws IOException {
    JsonValue v = json("{\"n\":null,\"s\":\"7\",\"bad\":\"x\"}");
    assertThat(v.path("absent").isMissing()).isTrue();
    assertThat(v.path("absent").path("deeper").path("still").isMissing()).isTrue();
    assertThat(v.path("absent").asText("fallback")).isEqualTo("fallback");
    assertThat(v.path("n").asText("fallback")).isEqualTo("fallback");
    assertThat(v.path("n").isMissing()).isFalse();
    assertThat(v.hasNonNull("n")).isFalse();
    assertThat(v.hasNonNull("s")).isTrue();
    assertThat(v.path("s").asInt(-1)).isEqualTo(7);
    assertThat(v.path("bad").asInt(-1)).isEqualTo(-1);
    assertThat(v.path("s").path("field").isMissing()).isTrue();
    assertThat(v.path("absent")).isEmpty();
    assertThat(json("[1,2]").path("x").isMissing()).isTrue();
  }

  @Test
  void anObjectIteratesOverItsValuesInOrder() throws IOException {
    List<String> values = new ArrayList<>();
    json("{\"b\":\"1\",\"a\":\"2\"}").forEach(e -> values.add(e.asText()));
    assertThat(values).containsExactly("1", "2");
  }

  @Test
  void truncatedMalformedAndEmptyDocumentsAreErrors() {
    for (String bad : List.of("", "{\"items\":[", "{\"a\":", "{\"a\" 1}", "[1,]x", "{\"a\":1", "nul", "{]")) {
      assertThatThrownBy(() -> json(bad)).as(bad).isInstanceOf(IOException.class);
    }
  }

  @Test
  void deepNestingIsRefusedByTheParserNotTheStack() {
    String deep = "[".repeat(5_000) + "]".repeat(5_000);
    assertThatThrownBy(() -> json(deep)).isInstanceOf(IOException.class);
  }

  @Test
  void readsYamlThroughTheSameTree() throws IOException {
    String kubeconfig = """
        current-context: c
        contexts:
        - name: c
          context: {user: u}
        users:
        - name: u
          user:
            token: abc
        """;
    JsonValue v;
    try (var p = new YAMLFactory().createParser(kubeconfig)) {
      v = JsonValue.parse(p);
    }
    assertThat(v.path("current-context").asText()).isEqualTo("c");
    assertThat(v.path("users").iterator().next().path("user").path("token").asText()).isEqualTo("abc");
  }

  /** A kubeconfig may tag its *-data fields !!binary: they read as the base64 text, as with databind. */
  @Test
  void yamlBinaryReadsAsBase64Text() throws IOException {
    JsonValue v;
    try (var p = new YAMLFactory().createParser("client-key-data: !!binary aGVsbG8=\n")) {
      v = JsonValue.parse(p);
    }
    assertThat(v.path("client-key-data").asText()).isEqualTo("aGVsbG8=");
  }

  /**
   * Truncated, flipped and spliced versions of a real EndpointSlice list either parse or fail
   * with an IOException: never another exception, never a hang (seeded: a failure repeats).
   */
  @Test
  void mangledDocumentsOnlyEverFailWithIoException() {
    byte[] good = """
        {"kind":"EndpointSliceList","items":[{"endpoints":[{"addresses":["10.0.0.11"],
          "conditions":{"ready":true}}],"ports":[{"name":"https","port":6443}]}]}"""
        .getBytes(StandardCharsets.UTF_8);
    Random random = new Random(20261201);
    for (int i = 0; i < 2_000; i++) {
      byte[] doc = java.util.Arrays.copyOf(good, 1 + random.nextInt(good.length));
      for (int flips = random.nextInt(4); flips > 0; flips--) {
        doc[random.nextInt(doc.length)] = (byte) random.nextInt(256);
      }
      try {
        JsonValue v = JsonValue.parse(doc);
        EndpointParsing.fromSlices(v);
      } catch (IOException expected) {
        // malformed: the reader reports the answer as unreadable
      }
    }
  }

  private static JsonValue json(String text) throws IOException {
    return JsonValue.parse(text.getBytes(StandardCharsets.UTF_8));
  }
}
