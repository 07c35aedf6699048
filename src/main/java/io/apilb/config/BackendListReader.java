package io.apilb.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code apilb.backends}, a list of {@code { name, address, weight }} objects. Names must
 * be unique DNS labels: they name the backend in metrics, logs and admin URLs.
 */
final class BackendListReader {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Set<String> BACKEND_KEYS = Set.of("name", "address", "weight");

  private BackendListReader() {}

  static List<BackendConfig> read(ValueReader r) {
    String path = "apilb.backends";
    ConfigValue value = r.required(path);
    if (value == null) {
      return List.of();
    }
    if (value.valueType() != ConfigValueType.LIST) {
      r.report(path, value, "must be a list of { name = ..., address = ... } objects (got "
          + ValueReader.show(value) + ")");
      return List.of();
    }
    ConfigList list = (ConfigList) value;
    if (list.isEmpty()) {
      r.report(path, value, "needs at least one backend");
      return List.of();
    }
    List<BackendConfig> backends = new ArrayList<>();
    Map<String, String> firstUseOfName = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      BackendConfig backend = backend(r, path + "[" + i + "]", list.get(i), firstUseOfName);
      if (backend != null) {
        backends.add(backend);
      }
    }
    return backends;
  }

  private static BackendConfig backend(
      ValueReader r, String path, ConfigValue item, Map<String, String> firstUseOfName) {
    if (!(item instanceof ConfigObject object)) {
      r.report(path, item, "must be an object like { name = \"cp1\", address = \"10.0.0.11:6443\" } (got "
          + ValueReader.show(item) + ")");
      return null;
    }
    int before = r.errorCount();
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      if (!BACKEND_KEYS.contains(entry.getKey())) {
        String hint = KeyChecker.closest(entry.getKey(), BACKEND_KEYS)
            .map(k -> ", did you mean " + path + "." + k + "?")
            .orElse(" (allowed: name, address, weight)");
        r.report(path + "." + entry.getKey(), entry.getValue(), "unknown key" + hint);
      }
    }
    String name = backendName(r, path, object, firstUseOfName);
    HostPort address = backendAddress(r, path, object);
    Integer weight = BackendConfig.DEFAULT_WEIGHT;
    ConfigValue weightValue = present(object, "weight");
    if (weightValue != null) {
      weight = r.convert(path + ".weight", weightValue, v -> ValueConversions.integer(v, 1, Integer.MAX_VALUE));
    }
    return r.errorCount() > before
        ? null
        : new BackendConfig(name, address.host(), address.port(), weight);
  }

  private static String backendName(
      ValueReader r, String path, ConfigObject object, Map<String, String> firstUseOfName) {
    ConfigValue value = present(object, "name");
    if (value == null) {
      r.report(path + ".name", object, "is required");
      return null;
    }
    return r.convert(path + ".name", value, v -> {
      String name = dnsLabel(v);
      String first = firstUseOfName.putIfAbsent(name, path);
      if (first != null) {
        throw new InvalidValue("duplicate backend name \"" + name + "\" (also used by " + first + ")");
      }
      return name;
    });
  }

  private static String dnsLabel(ConfigValue value) throws InvalidValue {
    String name = ValueConversions.text(value);
    if (name.length() > 63 || !DNS_LABEL.matcher(name).matches()) {
      throw new InvalidValue("must be a DNS label (lower-case letters, digits and '-', "
          + "starting and ending with a letter or digit, at most 63 characters; got \"" + name + "\")");
    }
    return name;
  }

  private static HostPort backendAddress(ValueReader r, String path, ConfigObject object) {
    ConfigValue value = present(object, "address");
    if (value == null) {
      r.report(path + ".address", object, "is required");
      return null;
    }
    return r.convert(path + ".address", value, BackendListReader::hostPort);
  }

  private static HostPort hostPort(ConfigValue value) throws InvalidValue {
    String text = ValueConversions.text(value);
    try {
      return HostPort.parse(text.trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidValue(e.getMessage() + " (got \"" + text + "\")");
    }
  }

  private static ConfigValue present(ConfigObject object, String key) {
    ConfigValue value = object.get(key);
    return value == null || value.valueType() == ConfigValueType.NULL ? null : value;
  }
}
