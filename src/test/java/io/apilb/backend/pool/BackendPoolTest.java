package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.backend.Backend;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendState;
import io.apilb.backend.BackendStats;
import io.apilb.support.HandlerNames;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The idle side of the pools, with embedded channels standing in for backend connections: what a
 * release keeps, what it closes, and which idle connections a rotation or reload retires.
 */
class BackendPoolTest {
  private final Backend cp1 = new Backend("cp1", "10.0.0.1", 6443, Optional.empty());
  private final Backend cp2 = new Backend("cp2", "10.0.0.2", 6443, Optional.empty());
  private final EmbeddedChannel loopOwner = new EmbeddedChannel();
  private final List<EmbeddedChannel> connections = new ArrayList<>();

  @AfterEach
  void tearDown() {
    connections.forEach(EmbeddedChannel::finishAndReleaseAll);
    loopOwner.finishAndReleaseAll();
  }

  private static PoolSettings settings(int maxIdle, Duration idleTimeout) {
    return new PoolSettings(Duration.ofSeconds(3), idleTimeout, maxIdle, 32768, Duration.ZERO);
  }

  private BackendPool pool(Backend b, PoolSettings s) {
    return new BackendPool(loopOwner.eventLoop(), b, () -> s, null, NioSocketChannel.class, null);
  }

  /** A backend connection as the pool holds it: codec left out, relay last. */
  private EmbeddedChannel connection() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAutoRead(false);
    ch.pipeline().addLast(HandlerNames.BACKEND_RELAY, new BackendRelayHandler());
    connections.add(ch);
    return ch;
  }

  private static BackendEntry entry(Backend b) {
    return new BackendEntry(b, BackendState.initial(Instant.EPOCH), new BackendStats());
  }

  @Test
  void keepsUpToMaxIdleConnectionsAndReusesTheWarmestFirst() {
    BackendPool pool = pool(cp1, settings(2, Duration.ofSeconds(60)));
    EmbeddedChannel a = connection();
    EmbeddedChannel b = connection();
    EmbeddedChannel c = connection();

    pool.release(a);
    pool.release(b);
    pool.release(c); // over max-idle

    assertThat(a.isOpen()).isTrue();
    assertThat(b.isOpen()).isTrue();
    assertThat(c.isOpen()).isFalse();
    PooledConnectionAttempt reused = (PooledConnectionAttempt) pool.acquire(entry(cp1)).getNow();
    reused.write(io.netty.buffer.Unpooled.EMPTY_BUFFER);
    reused.flush();
    assertThat((Object) b.readOutbound()).isNotNull(); // b was released last
    reused.close();
  }

  @Test
  void skipsIdleConnectionsTheBackendClosed() {
    BackendPool pool = pool(cp1, settings(4, Duration.ofSeconds(60)));
    EmbeddedChannel alive = connection();
    EmbeddedChannel dead = connection();
    pool.release(alive);
    pool.release(dead);
    dead.close();

    BackendAttempt a = pool.acquire(entry(cp1)).getNow();
    a.write(io.netty.buffer.Unpooled.EMPTY_BUFFER);
    a.flush();

    assertThat((Object) alive.readOutbound()).isNotNull();
    a.close();
  }

  @Test
  void aClosedPoolClosesWhatItHoldsAndWhatIsReleasedLater() {
    BackendPool pool = pool(cp1, settings(4, Duration.ofSeconds(60)));
    EmbeddedChannel idle = connection();
    pool.release(idle);

    pool.close();
    EmbeddedChannel late = connection();
    pool.release(late);

    assertThat(idle.isOpen()).isFalse();
    assertThat(late.isOpen()).isFalse();
  }

  @Test
  void closesConnectionsIdleLongerThanTheIdleTimeout() throws Exception {
    BackendPool pool = pool(cp1, settings(4, Duration.ofMillis(200)));
    EmbeddedChannel old = connection();
    pool.release(old);

    Thread.sleep(300); // idle ages are measured on the real clock
    EmbeddedChannel fresh = connection();
    pool.release(fresh);
    loopOwner.advanceTimeBy(100, TimeUnit.MILLISECONDS); // the sweeper's period: half the idle timeout
    loopOwner.runScheduledPendingTasks();

    assertThat(old.isOpen()).isFalse();
    assertThat(fresh.isOpen()).isTrue();
    pool.close();
  }

  @Test
  void rotatingOneKindsTlsContextRetiresOnlyThatKindsIdleConnections() throws Exception {
    SslContext tls = SslContextBuilder.forClient().build();
    BackendPools pools = new BackendPools(tls, tls, settings(4, Duration.ofSeconds(60)), NioSocketChannel.class, null);
    EmbeddedChannel plain = connection();
    EmbeddedChannel frontProxy = connection();
    pools.pool(loopOwner.eventLoop(), cp1, ConnectionKind.NO_CLIENT_CERT).release(plain);
    pools.pool(loopOwner.eventLoop(), cp1, ConnectionKind.FRONT_PROXY).release(frontProxy);

    pools.rotateSslContext(ConnectionKind.FRONT_PROXY, SslContextBuilder.forClient().build());
    loopOwner.runPendingTasks();

    assertThat(frontProxy.isOpen()).isFalse();
    assertThat(plain.isOpen()).isTrue();
    assertThat(pools.pool(loopOwner.eventLoop(), cp1, ConnectionKind.NO_CLIENT_CERT).acquire(entry(cp1)).getNow())
        .isNotNull();
    pools.close();
    loopOwner.runPendingTasks();
  }

  @Test
  void retainClosesTheIdleConnectionsOfRemovedBackendsOnly() throws Exception {
    SslContext tls = SslContextBuilder.forClient().build();
    BackendPools pools = new BackendPools(tls, null, settings(4, Duration.ofSeconds(60)), NioSocketChannel.class, null);
    EmbeddedChannel kept = connection();
    EmbeddedChannel removed = connection();
    pools.pool(loopOwner.eventLoop(), cp1, ConnectionKind.NO_CLIENT_CERT).release(kept);
    pools.pool(loopOwner.eventLoop(), cp2, ConnectionKind.NO_CLIENT_CERT).release(removed);

    pools.retain(Set.of(cp1));
    loopOwner.runPendingTasks();

    assertThat(removed.isOpen()).isFalse();
    assertThat(kept.isOpen()).isTrue();
    pools.close();
    loopOwner.runPendingTasks();
    assertThat(kept.isOpen()).isFalse();
  }
}
