package io.apilb.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.apilb.config.ListenerLimits;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.proxy.ConnectionFacts;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** apilb.listener.limits: what is admitted, what is refused and counted, and what a close gives back. */
class ConnectionLimiterTest {
  private final MetricRegistry registry = new MetricRegistry();
  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeAll() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  /** A connection from {@code ip} (the address is what the PROXY protocol would set). */
  private EmbeddedChannel from(String ip) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.attr(ConnectionFacts.CLIENT_ADDRESS).set(new InetSocketAddress(ip, 40000 + channels.size()));
    channels.add(ch);
    return ch;
  }

  private long rejected(String reason) {
    return registry.counter("apilb.listener.rejected_connections." + reason).getCount();
  }

  @Test
  void refusesConnectionsOverTheGlobalLimitUntilOneCloses() {
    ConnectionLimiter limiter = new ConnectionLimiter(new ListenerLimits(2, 0), new ApilbMetrics(registry));
    EmbeddedChannel first = from("10.0.0.1");
    assertThat(limiter.admit(first)).isTrue();
    assertThat(limiter.admit(from("10.0.0.2"))).isTrue();

    assertThat(limiter.admit(from("10.0.0.3"))).isFalse();
    assertThat(rejected("max_connections")).isEqualTo(1);

    first.close();
    assertThat(limiter.openConnections()).isEqualTo(1);
    assertThat(limiter.admit(from("10.0.0.3"))).isTrue();
  }

  @Test
  void refusesASourceOverItsLimitWhileOtherSourcesAreAdmitted() throws Exception {
    ConnectionLimiter limiter = new ConnectionLimiter(new ListenerLimits(0, 2), new ApilbMetrics(registry));
    EmbeddedChannel a1 = from("10.0.0.1");
    assertThat(limiter.admit(a1)).isTrue();
    assertThat(limiter.admit(from("10.0.0.1"))).isTrue();

    assertThat(limiter.admit(from("10.0.0.1"))).isFalse();
    assertThat(limiter.admit(from("10.0.0.2"))).isTrue();
    assertThat(rejected("max_connections_per_source")).isEqualTo(1);

    a1.close();
    assertThat(limiter.openConnections(InetAddress.getByName("10.0.0.1"))).isEqualTo(1);
    assertThat(limiter.admit(from("10.0.0.1"))).isTrue();
    assertThat(limiter.openConnections()).isEqualTo(3);
  }

  @Test
  void withThePROXYProtocolTheSourceIsCountedOnceTheHeaderNamesItAndClosedIfOverItsLimit() throws Exception {
    ConnectionLimiter limiter = new ConnectionLimiter(new ListenerLimits(0, 1), new ApilbMetrics(registry));
    EmbeddedChannel known = from("10.0.0.7");
    assertThat(limiter.admit(known)).isTrue();
    EmbeddedChannel viaBalancer = new EmbeddedChannel(); // the outer balancer's connection, as accepted
    channels.add(viaBalancer);
    viaBalancer.pipeline().addLast(limiter);
    assertThat(limiter.admit(viaBalancer, false)).isTrue(); // only the global limit at accept

    // the PROXY protocol header names 10.0.0.7, which already has its one connection
    viaBalancer.attr(ConnectionFacts.CLIENT_ADDRESS).set(new InetSocketAddress("10.0.0.7", 5555));
    viaBalancer.pipeline().fireUserEventTriggered(ConnectionLimiter.SourceKnown.INSTANCE);

    assertThat(viaBalancer.isOpen()).isFalse();
    assertThat(rejected("max_connections_per_source")).isEqualTo(1);
    assertThat(limiter.openConnections(InetAddress.getByName("10.0.0.7"))).isEqualTo(1);
    assertThat(limiter.openConnections()).isEqualTo(1);
  }

  @Test
  void aConnectionCountedUnderItsPROXYSourceIsReleasedThere() throws Exception {
    ConnectionLimiter limiter = new ConnectionLimiter(new ListenerLimits(0, 5), new ApilbMetrics(registry));
    EmbeddedChannel ch = new EmbeddedChannel();
    channels.add(ch);
    ch.pipeline().addLast(limiter);
    assertThat(limiter.admit(ch, false)).isTrue();
    ch.attr(ConnectionFacts.CLIENT_ADDRESS).set(new InetSocketAddress("10.0.0.9", 5555));
    ch.pipeline().fireUserEventTriggered(ConnectionLimiter.SourceKnown.INSTANCE);
    assertThat(limiter.openConnections(InetAddress.getByName("10.0.0.9"))).isEqualTo(1);

    ch.close();

    assertThat(limiter.openConnections(InetAddress.getByName("10.0.0.9"))).isZero();
    assertThat(limiter.openConnections()).isZero();
  }
}
