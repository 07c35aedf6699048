package io.apilb.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A leader-election participant that holds a coordination.k8s.io/v1 Lease the way
 * kube-controller-manager and kube-scheduler do (client-go's leaderelection with a Lease lock):
 * the leader writes {@code spec.holderIdentity} ({@code <host>_<uuid>}),
 * {@code leaseDurationSeconds}, {@code acquireTime} and {@code leaseTransitions} when it takes
 * the lease, and moves {@code renewTime} forward every renew period. Times are MicroTime
 * (RFC 3339 with microseconds, UTC).
 *
 * <pre>{@code
 * try (LeaderElection kcm = LeaderElection.start(cluster, "kube-system", "kube-controller-manager", "cp1",
 *     Duration.ofSeconds(15), Duration.ofSeconds(2))) {
 *   kcm.stopRenewing();       // a stuck leader: renewTime stops moving
 *   kcm.handOver("cp2");      // a new leader: holder changes, leaseTransitions + 1
 * }
 * }</pre>
 */
public final class LeaderElection implements AutoCloseable {
  static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final SimulatedCluster cluster;
  private final String namespace;
  private final String name;
  private final Duration leaseDuration;
  private final ScheduledExecutorService timer;
  private volatile String holder;
  private volatile boolean renewing = true;

  private LeaderElection(SimulatedCluster cluster, String namespace, String name, String host, Duration leaseDuration) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.name = name;
    this.leaseDuration = leaseDuration;
    this.holder = identity(host);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sim-lease-" + name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Takes (or creates) the Lease for {@code host} now and renews it every {@code renewPeriod}. */
  public static LeaderElection start(SimulatedCluster cluster, String namespace, String name, String host,
      Duration leaseDuration, Duration renewPeriod) {
    LeaderElection e = new LeaderElection(Objects.requireNonNull(cluster), namespace, name, host, leaseDuration);
    e.acquire(e.holder);
    e.timer.scheduleAtFixedRate(e::renew, renewPeriod.toMillis(), renewPeriod.toMillis(), TimeUnit.MILLISECONDS);
    return e;
  }

  /** The current holder identity ({@code <host>_<uuid>}). */
  public String holder() {
    return holder;
  }

  /** The leader stops renewing (hung, partitioned): {@code renewTime} stays where it is. */
  public void stopRenewing() {
    renewing = false;
  }

  /** Another participant on {@code host} takes the lease: a leadership transition. */
  public synchronized void handOver(String host) {
    holder = identity(host);
    acquire(holder);
    renewing = true;
  }

  private static String identity(String host) {
    return host + "_" + UUID.randomUUID();
  }

  private synchronized void acquire(String identity) {
    String now = MICRO_TIME.format(Instant.now());
    if (cluster.get(ResourceKind.LEASES, namespace, name).isEmpty()) {
      ObjectNode lease = KubeJson.F.objectNode();
      lease.putObject("metadata").put("name", name);
      lease.putObject("spec").put("holderIdentity", identity)
          .put("leaseDurationSeconds", (int) leaseDuration.toSeconds())
          .put("acquireTime", now).put("renewTime", now).put("leaseTransitions", 0);
      cluster.create(ResourceKind.LEASES, namespace, lease);
      return;
    }
    cluster.update(ResourceKind.LEASES, namespace, name, cur -> {
      ObjectNode spec = cur.with("spec");
      boolean changed = !identity.equals(spec.path("holderIdentity").asText());
      spec.put("holderIdentity", identity).put("leaseDurationSeconds", (int) leaseDuration.toSeconds())
          .put("renewTime", now);
      if (changed) {
        spec.put("acquireTime", now).put("leaseTransitions", spec.path("leaseTransitions").asInt() + 1);
      }
      return cur;
    });
  }

  private synchronized void renew() {
    if (!renewing) {
      return;
    }
    try {
      String now = MICRO_TIME.format(Instant.now());
      cluster.update(ResourceKind.LEASES, namespace, name, cur -> {
        cur.with("spec").put("renewTime", now);
        return cur;
      });
    } catch (RuntimeException e) {
      // the lease was deleted: take it again at the next period, as client-go would
      acquire(holder);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
