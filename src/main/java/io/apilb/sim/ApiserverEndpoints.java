package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.TreeMap;

/**
 * The {@code default/kubernetes} Endpoints and EndpointSlice, kept as kube-apiserver's lease
 * endpoint reconciler ({@code --endpoint-reconciler-type=lease}, the default) keeps them: each
 * running apiserver holds a lease on its advertise address, and the objects list the addresses
 * of every apiserver holding one, sorted, with the one secure port all apiservers share.
 *
 * <ul>
 *   <li>Endpoints {@code default/kubernetes}: label {@code endpointslice.kubernetes.io/skip-mirror=true},
 *       one subset with an address per apiserver and the port {@code https}/TCP.
 *   <li>EndpointSlice {@code default/kubernetes} (discovery.k8s.io/v1): label
 *       {@code kubernetes.io/service-name=kubernetes}, addressType IPv4 (IPv6 for IPv6
 *       addresses), an endpoint per apiserver with {@code conditions.ready=true}, the same port.
 * </ul>
 *
 * An apiserver adds itself when it starts serving and removes itself on graceful shutdown; the
 * simulator has no lease expiry, so an apiserver stopped abruptly stays listed (in kube-apiserver
 * it would drop out after its master lease's TTL). Thread-safe.
 */
public final class ApiserverEndpoints {
  private static final String NAMESPACE = "default";
  private static final String NAME = "kubernetes";

  private final SimulatedCluster cluster;
  /** advertise address -> secure port, sorted like the reconciler's address list. */
  private final TreeMap<String, Integer> leases = new TreeMap<>();

  ApiserverEndpoints(SimulatedCluster cluster) {
    this.cluster = cluster;
  }

  /** An apiserver took its lease (started serving) on {@code address}:{@code port}. */
  public synchronized void add(String address, int port) {
    leases.put(address, port);
    reconcile(port);
  }

  /** An apiserver gave its lease up (graceful shutdown). */
  public synchronized void remove(String address) {
    Integer port = leases.remove(address);
    if (port != null) {
      reconcile(port);
    }
  }

  /** The published addresses, sorted. */
  public synchronized List<String> addresses() {
    return List.copyOf(leases.keySet());
  }

  private void reconcile(int port) {
    ObjectNode endpoints = endpoints(port);
    ObjectNode slice = slice(port);
    upsert(ResourceKind.ENDPOINTS, endpoints);
    upsert(ResourceKind.ENDPOINTSLICES, slice);
  }

  private ObjectNode endpoints(int port) {
    ObjectNode o = KubeJson.F.objectNode();
    o.putObject("metadata").put("name", NAME).putObject("labels").put("endpointslice.kubernetes.io/skip-mirror", "true");
    ObjectNode subset = o.putArray("subsets").addObject();
    ArrayNode addresses = subset.putArray("addresses");
    leases.keySet().forEach(ip -> addresses.addObject().put("ip", ip));
    subset.putArray("ports").addObject().put("name", "https").put("port", port).put("protocol", "TCP");
    return o;
  }

  private ObjectNode slice(int port) {
    ObjectNode o = KubeJson.F.objectNode();
    o.putObject("metadata").put("name", NAME).putObject("labels").put("kubernetes.io/service-name", NAME);
    boolean v6 = !leases.isEmpty() && leases.firstKey().contains(":");
    o.put("addressType", v6 ? "IPv6" : "IPv4");
    ArrayNode eps = o.putArray("endpoints");
    for (String ip : leases.keySet()) {
      ObjectNode ep = eps.addObject();
      ep.putArray("addresses").add(ip);
      ep.putObject("conditions").put("ready", true);
    }
    o.putArray("ports").addObject().put("name", "https").put("port", port).put("protocol", "TCP");
    return o;
  }

  private void upsert(ResourceKind kind, ObjectNode desired) {
    if (cluster.get(kind, NAMESPACE, NAME).isEmpty()) {
      cluster.create(kind, NAMESPACE, desired);
    } else {
      cluster.update(kind, NAMESPACE, NAME, current -> {
        ObjectNode next = desired.deepCopy();
        ((ObjectNode) next.get("metadata")).put("resourceVersion", "");
        return next;
      });
    }
  }
}
