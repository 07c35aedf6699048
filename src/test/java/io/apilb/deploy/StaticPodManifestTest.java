package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.cli.Main;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigLoader;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** {@code docker/apilb-static-pod.yaml} is a valid Pod for the per-node sidecar form. */
class StaticPodManifestTest {
  static Pod pod;
  static Container apilb;
  static ApilbConfig sidecarConfig;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = Files.newInputStream(DeployFiles.file("docker/apilb-static-pod.yaml"))) {
      pod = Serialization.unmarshal(in, Pod.class);
    }
    assertThat(pod.getSpec().getContainers()).hasSize(1);
    apilb = pod.getSpec().getContainers().get(0);
    sidecarConfig = ConfigLoader.load(DeployFiles.file("docker/apilb-sidecar.conf"));
  }

  @Test
  void everyFieldIsAKnownPodField() throws Exception {
    List<String> unknown = new ArrayList<>();
    collectUnknownFields(pod, "pod", unknown, Collections.newSetFromMap(new IdentityHashMap<>()));
    assertThat(unknown).as("fields the Pod schema does not have (typos?)").isEmpty();
  }

  @Test
  void isANodeCriticalHostNetworkPodInKubeSystem() {
    assertThat(pod.getApiVersion()).isEqualTo("v1");
    assertThat(pod.getKind()).isEqualTo("Pod");
    assertThat(pod.getMetadata().getNamespace()).isEqualTo("kube-system");
    assertThat(pod.getSpec().getHostNetwork()).isTrue();
    assertThat(pod.getSpec().getPriorityClassName()).isEqualTo("system-node-critical");
  }

  @Test
  void runsAsTheImagesNonRootUserWithNothingToEscalate() throws Exception {
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(DeployFiles.read("docker/Dockerfile"))
        .contains("--uid " + pod.getSpec().getSecurityContext().getRunAsUser());
    assertThat(apilb.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(apilb.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(apilb.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
  }

  @Test
  void mountsThePkiDirectoryReadOnlyFromTheHost() {
    VolumeMount pki = mountAt("/etc/kubernetes/pki");
    assertThat(pki.getReadOnly()).isTrue();
    Volume v = volume(pki.getName());
    assertThat(v.getHostPath().getPath()).isEqualTo("/etc/kubernetes/pki");
    assertThat(v.getHostPath().getType()).isEqualTo("Directory");
  }

  @Test
  void runsTheConfigurationFileMountedFromTheHost() {
    ParseResult parsed = new CommandLine(new Main()).parseArgs(apilb.getArgs().toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("run");
    String config = parsed.subcommand().matchedOptionValue("--config", null).toString();

    VolumeMount mount = mountAt(config);
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(volume(mount.getName()).getHostPath().getPath()).isEqualTo(config);
    assertThat(volume(mount.getName()).getHostPath().getType()).isEqualTo("File");
    assertThat(apilb.getEnv()).anyMatch(e -> e.getName().equals("APILB_CONFIG") && e.getValue().equals(config));
  }

  @Test
  void sidecarConfigurationListensOnLoopbackOnAPortOfItsOwnWithFilesFromMountedPaths() {
    assertThat(sidecarConfig.listener().address()).isEqualTo("127.0.0.1");
    assertThat(sidecarConfig.listener().port()).isNotEqualTo(6443);
    assertThat(sidecarConfig.admin().address()).isEqualTo("127.0.0.1");
    for (Path file : List.of(sidecarConfig.listener().certFile(), sidecarConfig.listener().keyFile(),
        sidecarConfig.backendTls().caFile())) {
      assertThat(apilb.getVolumeMounts()).as("%s is inside a mount", file)
          .anyMatch(m -> file.startsWith(m.getMountPath()));
    }
  }

  @Test
  void hasResourceRequestsAndAMemoryLimit() {
    Map<String, Quantity> requests = apilb.getResources().getRequests();
    assertThat(requests).containsKeys("cpu", "memory");
    Quantity limit = apilb.getResources().getLimits().get("memory");
    assertThat(Quantity.getAmountInBytes(limit)).isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("memory")));
    assertThat(apilb.getResources().getLimits()).as("no CPU limit on a proxy").doesNotContainKey("cpu");
  }

  @Test
  void runsTheSidecarJvmProfileWithAMemoryLimitWellAboveItsHeap() throws Exception {
    assertThat(apilb.getEnv()).anyMatch(e -> e.getName().equals("APILB_JVM_PROFILE") && e.getValue().equals("sidecar"));
    assertThat(apilb.getEnv()).as("APILB_JAVA_OPTS would replace the profile's options")
        .noneMatch(e -> e.getName().equals("APILB_JAVA_OPTS"));
    java.util.regex.Matcher xmx = java.util.regex.Pattern.compile("(?s)sidecar\\).*?-Xmx(\\d+)m")
        .matcher(DeployFiles.read("bin/apilb"));
    assertThat(xmx.find()).as("the sidecar profile's -Xmx in bin/apilb").isTrue();
    long heap = Long.parseLong(xmx.group(1)) << 20;
    // metaspace or the archive, code, thread stacks, Netty's direct memory and the JVM itself come on top
    long limit = Quantity.getAmountInBytes(apilb.getResources().getLimits().get("memory")).longValue();
    assertThat(limit).isGreaterThanOrEqualTo(heap + (128L << 20));
  }

  @Test
  void probesTheAdminPortOnLoopback() {
    HTTPGetAction live = apilb.getLivenessProbe().getHttpGet();
    HTTPGetAction ready = apilb.getReadinessProbe().getHttpGet();
    HTTPGetAction startup = apilb.getStartupProbe().getHttpGet();
    assertThat(live.getPath()).isEqualTo("/livez");
    assertThat(ready.getPath()).isEqualTo("/readyz");
    assertThat(startup.getPath()).isEqualTo("/livez");
    for (HTTPGetAction probe : List.of(live, ready, startup)) {
      assertThat(probe.getHost()).isEqualTo(sidecarConfig.admin().address());
      assertThat(probe.getPort().getIntVal()).isEqualTo(sidecarConfig.admin().port());
    }
  }

  private static VolumeMount mountAt(String path) {
    return apilb.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume mounted at " + path));
  }

  private static Volume volume(String name) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  /**
   * fabric8 keeps fields it does not know in {@code additionalProperties} instead of failing; walk
   * the model and report every such field with its path.
   */
  private static void collectUnknownFields(Object node, String path, List<String> out, Set<Object> seen)
      throws Exception {
    if (node == null || !node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model") || !seen.add(node)) {
      return;
    }
    for (Method m : node.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value = m.invoke(node);
      String child = path + "." + m.getName().substring(3);
      if (m.getName().equals("getAdditionalProperties")) {
        ((Map<?, ?>) value).keySet().forEach(k -> out.add(path + "." + k));
      } else if (value instanceof Collection<?> c) {
        int i = 0;
        for (Object e : c) {
          collectUnknownFields(e, child + "[" + i++ + "]", out, seen);
        }
      } else if (value instanceof Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          collectUnknownFields(e.getValue(), child + "[" + e.getKey() + "]", out, seen);
        }
      } else {
        collectUnknownFields(value, child, out, seen);
      }
    }
  }
}
