package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** Label selectors (equality and set based) and the metadata field selectors. */
final class Selectors {
  private Selectors() {}

  static Predicate<ObjectNode> parse(String labelSelector, String fieldSelector) {
    Predicate<ObjectNode> p = o -> true;
    if (labelSelector != null && !labelSelector.isBlank()) {
      for (String req : split(labelSelector)) {
        p = p.and(labelRequirement(req.trim()));
      }
    }
    if (fieldSelector != null && !fieldSelector.isBlank()) {
      for (String req : fieldSelector.split(",")) {
        p = p.and(fieldRequirement(req.trim()));
      }
    }
    return p;
  }

  private static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  private static String label(ObjectNode o, String key) {
    JsonNode v = o.path("metadata").path("labels").get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Predicate<ObjectNode> labelRequirement(String req) {
    if (req.isEmpty()) {
      throw ApiException.badRequest("unable to parse requirement: found '', expected: identifier");
    }
    String[] words = req.split("\\s+", 3);
    if (words.length == 3 && (words[1].equals("in") || words[1].equals("notin"))) {
      String set = words[2].trim();
      if (!set.startsWith("(") || !set.endsWith(")")) {
        throw ApiException.badRequest("unable to parse requirement: " + req);
      }
      Set<String> values = Set.of(set.substring(1, set.length() - 1).trim().split("\\s*,\\s*"));
      String key = words[0];
      boolean in = words[1].equals("in");
      return o -> {
        String v = label(o, key);
        return in ? v != null && values.contains(v) : v == null || !values.contains(v);
      };
    }
    int ne = req.indexOf("!=");
    if (ne > 0) {
      String key = req.substring(0, ne).trim();
      String value = req.substring(ne + 2).trim();
      return o -> !value.equals(label(o, key));
    }
    int eq = req.indexOf('=');
    if (eq > 0) {
      String key = req.substring(0, eq).trim();
      String value = req.substring(req.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      return o -> value.equals(label(o, key));
    }
    if (req.startsWith("!")) {
      String key = req.substring(1).trim();
      return o -> label(o, key) == null;
    }
    if (!req.matches("[A-Za-z0-9._/-]+")) {
      throw ApiException.badRequest("unable to parse requirement: " + req);
    }
    return o -> label(o, req) != null;
  }

  private static Predicate<ObjectNode> fieldRequirement(String req) {
    boolean negate;
    int idx = req.indexOf("!=");
    String field;
    String value;
    if (idx > 0) {
      negate = true;
      field = req.substring(0, idx).trim();
      value = req.substring(idx + 2).trim();
    } else {
      idx = req.indexOf('=');
      if (idx <= 0) {
        throw ApiException.badRequest("invalid selector: '" + req + "'; can't understand '" + req + "'");
      }
      negate = false;
      field = req.substring(0, idx).trim();
      value = req.substring(req.startsWith("==", idx) ? idx + 2 : idx + 1).trim();
    }
    String attr = switch (field) {
      case "metadata.name" -> "name";
      case "metadata.namespace" -> "namespace";
      default -> throw ApiException.badRequest("field label not supported: " + field);
    };
    return o -> {
      String v = o.path("metadata").path(attr).asText("");
      return negate != value.equals(v);
    };
  }
}
