package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The bodies behind {@link SimulatedCluster}'s convenience methods ({@code createNamespace},
 * {@code createConfigMap}, {@code createPod}): what a client would send, plus, for a pod, the
 * status a kubelet would have reported for it by now, since the simulator has no kubelet.
 */
final class ObjectTemplates {
  private ObjectTemplates() {}

  static ObjectNode namespace(String name) {
    ObjectNode ns = KubeJson.F.objectNode();
    ns.putObject("metadata").put("name", name);
    return ns;
  }

  static ObjectNode configMap(String name, Map<String, String> data) {
    ObjectNode cm = KubeJson.F.objectNode();
    cm.putObject("metadata").put("name", name);
    ObjectNode d = cm.putObject("data");
    data.forEach(d::put);
    return cm;
  }

  /** A pod labelled {@code app=<name>}, Running on {@code node-1}, every container started and ready. */
  static ObjectNode runningPod(String name, String... containers) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    ObjectNode pod = KubeJson.F.objectNode();
    pod.putObject("metadata").put("name", name).putObject("labels").put("app", name);
    ObjectNode spec = pod.putObject("spec");
    spec.put("nodeName", "node-1").put("restartPolicy", "Always");
    ArrayNode specContainers = spec.putArray("containers");
    ObjectNode status = pod.putObject("status");
    status.put("phase", "Running").put("hostIP", "10.0.0.11").put("podIP", "10.244.1.7").put("startTime", now);
    ArrayNode conditions = status.putArray("conditions");
    for (String c : List.of("Initialized", "Ready", "ContainersReady", "PodScheduled")) {
      conditions.addObject().put("type", c).put("status", "True").put("lastTransitionTime", now);
    }
    ArrayNode statuses = status.putArray("containerStatuses");
    for (String c : containers) {
      specContainers.addObject().put("name", c).put("image", "registry.k8s.io/busybox:1.36")
          .put("imagePullPolicy", "IfNotPresent");
      ObjectNode cs = statuses.addObject().put("name", c).put("ready", true).put("started", true)
          .put("restartCount", 0).put("image", "registry.k8s.io/busybox:1.36").put("imageID", "")
          .put("containerID", "containerd://" + UUID.randomUUID().toString().replace("-", ""));
      cs.putObject("state").putObject("running").put("startedAt", now);
    }
    return pod;
  }
}
