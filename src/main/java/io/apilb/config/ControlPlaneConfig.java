package io.apilb.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What apilb reads from the API about the control plane ({@code apilb.discovery.*},
 * {@code apilb.control-plane.*}) and the identity it reads with ({@code apilb.api-identity.*}).
 *
 * @param discoveryMode static backends, or the {@code default/kubernetes} EndpointSlices
 * @param discoveryInterval time between two reads of the EndpointSlices
 * @param leases {@code namespace/name} of the leader-election Leases shown on the status page
 * @param leaseInterval time between two reads of the Leases (0: not read)
 * @param versionInterval time between two {@code /version} reads of each backend (0: not read)
 * @param user the user apilb asserts through the front-proxy certificate
 * @param groups the groups asserted with it
 * @param tokenFile a bearer token file used instead of the front-proxy identity
 * @param kubeconfig a kubeconfig whose current user (token or client certificate) is used instead
 */
public record ControlPlaneConfig(
    DiscoveryMode discoveryMode,
    Duration discoveryInterval,
    List<String> leases,
    Duration leaseInterval,
    Duration versionInterval,
    String user,
    List<String> groups,
    Optional<Path> tokenFile,
    Optional<Path> kubeconfig) {

  public ControlPlaneConfig {
    Objects.requireNonNull(discoveryMode, "discoveryMode");
    Objects.requireNonNull(discoveryInterval, "discoveryInterval");
    leases = List.copyOf(leases);
    Objects.requireNonNull(leaseInterval, "leaseInterval");
    Objects.requireNonNull(versionInterval, "versionInterval");
    Objects.requireNonNull(user, "user");
    groups = List.copyOf(groups);
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(kubeconfig, "kubeconfig");
  }

  /** Whether apilb needs to talk to the API at all (the status page works without it). */
  public boolean readsApi() {
    return discoveryMode == DiscoveryMode.ENDPOINTSLICE || (!leases.isEmpty() && !leaseInterval.isZero());
  }
}
