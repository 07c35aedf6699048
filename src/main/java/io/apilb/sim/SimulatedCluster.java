package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The shared "etcd" behind one or more {@link SimulatedApiserver}s: an in-memory store of
 * ConfigMaps (namespaced) and Namespaces with a cluster-wide, monotonically increasing
 * resourceVersion, a bounded event history for watch resumption, and watch listeners. Several
 * apiservers built on the same cluster behave like HA apiservers sharing etcd: an object created
 * through one is readable through the others, and a watch on any of them sees every write.
 *
 * <p>The namespaces {@code default}, {@code kube-system}, {@code kube-public} and
 * {@code kube-node-lease} exist from the start.
 *
 * <pre>{@code
 * SimulatedCluster cluster = new SimulatedCluster();
 * cluster.createConfigMap("default", "seed", Map.of("k", "v"));
 * try (SimulatedApiserver a = SimulatedApiserver.builder("apiserver-a", cluster).keyMaterial(km).build().start();
 *      SimulatedApiserver b = SimulatedApiserver.builder("apiserver-b", cluster).keyMaterial(km).build().start()) {
 *   // kubectl against https://127.0.0.1:{a.port()} and https://127.0.0.1:{b.port()} sees the same objects
 * }
 * }</pre>
 *
 * <p>Thread-safe: every operation takes one lock, and watch listeners are called under it, in
 * resourceVersion order (they must only hand the event off, for example to an event loop).
 * Objects handed out are copies.
 */
public final class SimulatedCluster {
  /** Default number of events kept for watch resumption. */
  public static final int DEFAULT_HISTORY = 10_000;

  /** One change, as a watch sees it. {@code previous} is set for MODIFIED and DELETED. */
  record Event(String type, ResourceKind kind, ObjectNode object, ObjectNode previous, long rv) {}

  /** A registered watch; {@link #cancel()} is idempotent. */
  interface Subscription {
    void cancel();
  }

  private final Object lock = new Object();
  private final Map<ResourceKind, TreeMap<String, ObjectNode>> store = new java.util.EnumMap<>(ResourceKind.class);
  private final EventLog events;
  private long resourceVersion;
  private final ApiserverEndpoints apiserverEndpoints = new ApiserverEndpoints(this);

  public SimulatedCluster() {
    this(DEFAULT_HISTORY);
  }

  /** @param historyLimit events kept for watches resuming from an older resourceVersion */
  public SimulatedCluster(int historyLimit) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit must be positive");
    }
    this.events = new EventLog(historyLimit);
    for (ResourceKind k : ResourceKind.values()) {
      store.put(k, new TreeMap<>());
    }
    resourceVersion = 1000 + ThreadLocalRandom.current().nextInt(1000);
    for (String ns : List.of("default", "kube-node-lease", "kube-public", "kube-system")) {
      createNamespace(ns);
    }
    createPod("default", "demo-pod", "main");
  }

  // ---- public convenience API ---------------------------------------------------------------------

  /** The latest resourceVersion handed out. */
  public long resourceVersion() {
    synchronized (lock) {
      return resourceVersion;
    }
  }

  /** Creates a namespace; fails with IllegalStateException if it exists. Returns a copy. */
  public ObjectNode createNamespace(String name) {
    return wrap(() -> create(ResourceKind.NAMESPACES, null, ObjectTemplates.namespace(name)));
  }

  /** Creates a ConfigMap; fails with IllegalStateException if it exists. Returns a copy. */
  public ObjectNode createConfigMap(String namespace, String name, Map<String, String> data) {
    return wrap(() -> create(ResourceKind.CONFIGMAPS, namespace, ObjectTemplates.configMap(name, data)));
  }

  /**
   * Creates a Running pod with the given containers (the first is the default for exec, attach
   * and logs); fails with IllegalStateException if it exists. Returns a copy. The pod
   * {@code default/demo-pod} with the container {@code main} exists from the start.
   */
  public ObjectNode createPod(String namespace, String name, String... containers) {
    if (containers.length == 0) {
      throw new IllegalArgumentException("a pod needs at least one container");
    }
    ObjectNode pod = ObjectTemplates.runningPod(name, containers);
    return wrap(() -> create(ResourceKind.PODS, namespace, pod));
  }

  /** A copy of the pod, if it exists. */
  public Optional<ObjectNode> pod(String namespace, String name) {
    return get(ResourceKind.PODS, namespace, name);
  }

  /** A copy of the ConfigMap, if it exists. */
  public Optional<ObjectNode> configMap(String namespace, String name) {
    return get(ResourceKind.CONFIGMAPS, namespace, name);
  }

  /** Copies of the ConfigMaps in {@code namespace} ({@code null}: all namespaces), by namespace and name. */
  public List<ObjectNode> configMaps(String namespace) {
    return list(ResourceKind.CONFIGMAPS, namespace);
  }

  /** Names of the existing namespaces. */
  public List<String> namespaces() {
    synchronized (lock) {
      return new ArrayList<>(store.get(ResourceKind.NAMESPACES).keySet());
    }
  }

  /** Deletes a ConfigMap; false if it did not exist. */
  public boolean deleteConfigMap(String namespace, String name) {
    try {
      delete(ResourceKind.CONFIGMAPS, namespace, name, null, null);
      return true;
    } catch (ApiException e) {
      return false;
    }
  }

  /** The {@code default/kubernetes} Endpoints and EndpointSlice the apiservers publish themselves in. */
  public ApiserverEndpoints apiserverEndpoints() {
    return apiserverEndpoints;
  }

  /** Copies of the objects of {@code kind} (by plural and group, "" for core) in {@code namespace}. */
  public List<ObjectNode> objects(String group, String plural, String namespace) {
    ResourceKind kind = ResourceKind.byPlural(group, plural);
    if (kind == null) {
      throw new IllegalArgumentException("the simulator does not store " + plural + " in group '" + group + "'");
    }
    return list(kind, namespace);
  }

  /** Deletes one object of {@code kind} (plural and group, "" for core); false if it did not exist. */
  public boolean deleteObject(String group, String plural, String namespace, String name) {
    ResourceKind kind = ResourceKind.byPlural(group, plural);
    try {
      delete(kind, namespace, name, null, null);
      return true;
    } catch (ApiException | NullPointerException e) {
      return false;
    }
  }

  /** Number of open watches on all apiservers of this cluster. */
  public int watchCount() {
    synchronized (lock) {
      return events.listenerCount();
    }
  }

  private static ObjectNode wrap(java.util.function.Supplier<ObjectNode> op) {
    try {
      return op.get();
    } catch (ApiException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  // ---- store operations used by the apiservers ----------------------------------------------------

  private static String key(ResourceKind kind, String ns, String name) {
    return kind.namespaced ? ns + "/" + name : name;
  }

  Optional<ObjectNode> get(ResourceKind kind, String ns, String name) {
    synchronized (lock) {
      ObjectNode o = store.get(kind).get(key(kind, ns, name));
      return Optional.ofNullable(o == null ? null : o.deepCopy());
    }
  }

  /** A consistent snapshot: the objects (copies) and the resourceVersion they are valid at. */
  record ListResult(List<ObjectNode> items, long resourceVersion) {}

  ListResult listWithVersion(ResourceKind kind, String ns) {
    synchronized (lock) {
      List<ObjectNode> out = new ArrayList<>();
      for (ObjectNode o : scope(kind, ns)) {
        out.add(o.deepCopy());
      }
      return new ListResult(out, resourceVersion);
    }
  }

  List<ObjectNode> list(ResourceKind kind, String ns) {
    return listWithVersion(kind, ns).items();
  }

  private Iterable<ObjectNode> scope(ResourceKind kind, String ns) {
    TreeMap<String, ObjectNode> m = store.get(kind);
    if (!kind.namespaced || ns == null) {
      return m.values();
    }
    return m.subMap(ns + "/", ns + "0").values();
  }

  ObjectNode create(ResourceKind kind, String ns, ObjectNode body) {
    synchronized (lock) {
      ObjectNode meta = KubeJson.metadata(body);
      String name = StoredObjects.nameFor(kind, meta);
      if (kind.namespaced) {
        String bodyNs = KubeJson.text(meta, "namespace");
        if (bodyNs != null && !bodyNs.isEmpty() && !bodyNs.equals(ns)) {
          throw ApiException.badRequest(
              "the namespace of the provided object does not match the namespace sent on the request");
        }
        if (!store.get(ResourceKind.NAMESPACES).containsKey(ns)) {
          throw ApiException.notFound(ResourceKind.NAMESPACES, ns);
        }
      }
      String k = key(kind, ns, name);
      if (store.get(kind).containsKey(k)) {
        throw ApiException.alreadyExists(kind, name);
      }
      long rv = ++resourceVersion;
      ObjectNode stored = StoredObjects.normalize(kind, body, name, ns, UUID.randomUUID().toString(), rv,
          Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      if (kind == ResourceKind.NAMESPACES) {
        ObjectNode labels = stored.with("metadata").with("labels");
        labels.put("kubernetes.io/metadata.name", name);
        stored.putObject("spec").putArray("finalizers").add("kubernetes");
        stored.putObject("status").put("phase", "Active");
      }
      store.get(kind).put(k, stored);
      events.append(new Event("ADDED", kind, stored, null, rv));
      return stored.deepCopy();
    }
  }

  /**
   * Read-modify-write of one object. {@code change} gets a copy of the current object and returns
   * the desired one; a non-empty {@code metadata.resourceVersion} in it must match (else Conflict).
   * A change that alters nothing keeps the resourceVersion and emits no event.
   */
  ObjectNode update(ResourceKind kind, String ns, String name, UnaryOperator<ObjectNode> change) {
    synchronized (lock) {
      String k = key(kind, ns, name);
      ObjectNode current = store.get(kind).get(k);
      if (current == null) {
        throw ApiException.notFound(kind, name);
      }
      ObjectNode desired = change.apply(current.deepCopy());
      ObjectNode meta = KubeJson.metadata(desired);
      String bodyName = KubeJson.text(meta, "name");
      if (bodyName != null && !bodyName.isEmpty() && !bodyName.equals(name)) {
        throw ApiException.badRequest("the name of the object (" + bodyName
            + ") does not match the name on the URL (" + name + ")");
      }
      String bodyNs = KubeJson.text(meta, "namespace");
      if (kind.namespaced && bodyNs != null && !bodyNs.isEmpty() && !bodyNs.equals(ns)) {
        throw ApiException.badRequest(
            "the namespace of the provided object does not match the namespace sent on the request");
      }
      String rvText = KubeJson.text(meta, "resourceVersion");
      ObjectNode curMeta = (ObjectNode) current.get("metadata");
      if (rvText != null && !rvText.isEmpty() && !rvText.equals(KubeJson.text(curMeta, "resourceVersion"))) {
        throw ApiException.conflict(kind, name);
      }
      ObjectNode candidate = StoredObjects.normalize(kind, desired, name, ns, KubeJson.text(curMeta, "uid"),
          Long.parseLong(KubeJson.text(curMeta, "resourceVersion")), KubeJson.text(curMeta, "creationTimestamp"));
      if (kind == ResourceKind.NAMESPACES) {
        candidate.set("status", current.get("status"));
      }
      if (candidate.equals(current)) {
        return current.deepCopy();
      }
      long rv = ++resourceVersion;
      ((ObjectNode) candidate.get("metadata")).put("resourceVersion", Long.toString(rv));
      store.get(kind).put(k, candidate);
      events.append(new Event("MODIFIED", kind, candidate, current, rv));
      return candidate.deepCopy();
    }
  }

  /** Deletes one object, checking optional preconditions; returns the deleted object. */
  ObjectNode delete(ResourceKind kind, String ns, String name, String preconditionUid, String preconditionRv) {
    synchronized (lock) {
      String k = key(kind, ns, name);
      ObjectNode current = store.get(kind).get(k);
      if (current == null) {
        throw ApiException.notFound(kind, name);
      }
      JsonNode meta = current.get("metadata");
      if ((preconditionUid != null && !preconditionUid.equals(KubeJson.text(meta, "uid")))
          || (preconditionRv != null && !preconditionRv.equals(KubeJson.text(meta, "resourceVersion")))) {
        throw new ApiException(409, "Conflict", "Operation cannot be fulfilled on " + kind.plural + " \"" + name
            + "\": Precondition failed", name, kind.plural);
      }
      if (kind == ResourceKind.NAMESPACES) {
        for (ObjectNode cm : new ArrayList<>(store.get(ResourceKind.CONFIGMAPS).subMap(name + "/", name + "0")
            .values())) {
          delete(ResourceKind.CONFIGMAPS, name, KubeJson.text(cm.get("metadata"), "name"), null, null);
        }
      }
      store.get(kind).remove(k);
      long rv = ++resourceVersion;
      ObjectNode gone = current.deepCopy();
      ((ObjectNode) gone.get("metadata")).put("resourceVersion", Long.toString(rv));
      events.append(new Event("DELETED", kind, gone, current, rv));
      return gone.deepCopy();
    }
  }

  /**
   * Registers a watch. With {@code fromRv < 0} (resourceVersion "" or "0"), the sink first gets a
   * synthetic ADDED event for every existing object; otherwise the retained events after
   * {@code fromRv} are replayed. Everything happens under the lock, so no event is lost or
   * duplicated between the replay and live delivery.
   *
   * @param afterReplay called under the lock after the replay with the resourceVersion reached
   * @throws ApiException 410 Expired if events after {@code fromRv} are no longer retained
   */
  Subscription watch(ResourceKind kind, long fromRv, Consumer<Event> sink, java.util.function.LongConsumer afterReplay) {
    synchronized (lock) {
      if (fromRv < 0) {
        for (ObjectNode o : store.get(kind).values()) {
          sink.accept(new Event("ADDED", kind, o, null,
              Long.parseLong(KubeJson.text(o.get("metadata"), "resourceVersion"))));
        }
      } else {
        events.replayAfter(kind, fromRv, sink);
      }
      if (afterReplay != null) {
        afterReplay.accept(resourceVersion);
      }
      EventLog.Listener l = events.subscribe(kind, sink);
      return () -> {
        synchronized (lock) {
          events.unsubscribe(l);
        }
      };
    }
  }

  /** Runs {@code action} with the current resourceVersion under the store lock (bookmarks). */
  void atCurrentVersion(java.util.function.LongConsumer action) {
    synchronized (lock) {
      action.accept(resourceVersion);
    }
  }
}
