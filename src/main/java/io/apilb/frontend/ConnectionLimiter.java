package io.apilb.frontend;

import io.apilb.config.ListenerLimits;
import io.apilb.metrics.ApilbMetrics;
import io.apilb.proxy.ConnectionFacts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code apilb.listener.limits}: counts open client connections, in all and per client IP, and
 * refuses a new one over either limit before any TLS object exists for it (the caller then
 * closes it without building its pipeline). Open connections are never touched by a limit.
 *
 * <p>The per-source count keys on the client's real address: the TCP peer, or, with the PROXY
 * protocol on, the address its header names ({@link ConnectionFacts#CLIENT_ADDRESS}). A PROXY
 * header is read after the connection was accepted, so then only the global limit applies at
 * accept; the PROXY protocol handlers fire {@link SourceKnown} once the header is read (or known
 * not to come) and this handler, first in every client pipeline, counts the connection under its
 * source then, closing it if that source is over its limit. The key a connection was counted
 * under is kept on the channel, so its release always matches.
 *
 * <p>Shared by every connection; counters are concurrent because connections are accepted on
 * every event loop.
 */
@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
  private static final AttributeKey<InetAddress> COUNTED_AS = AttributeKey.valueOf("apilb.limits.source");
  /** At most one WARN per reason per this long: a flood must not become a log flood. */
  private static final long WARN_EVERY_NANOS = 60_000_000_000L;

  private final ListenerLimits limits;
  private final ApilbMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perSource = new ConcurrentHashMap<>();
  private final AtomicLong lastGlobalWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private final AtomicLong lastSourceWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  public ConnectionLimiter(ListenerLimits limits, ApilbMetrics metrics) {
    this.limits = limits;
    this.metrics = metrics;
  }

  /**
   * The user event that says the client's address is final (the PROXY header was read, or will not
   * come); fire it on the pipeline from the head ({@code channel.pipeline().fireUserEventTriggered}).
   */
  public static final class SourceKnown {
    public static final SourceKnown INSTANCE = new SourceKnown();

    private SourceKnown() {}
  }

  /** As {@link #admit(Channel, boolean)} with the source known at accept (no PROXY protocol). */
  public boolean admit(Channel ch) {
    return admit(ch, true);
  }

  /**
   * Counts {@code ch} if it is within the limits (its close uncounts it) and answers true;
   * otherwise counts the rejection and answers false: the caller closes it. {@code sourceKnown}
   * false (PROXY protocol on): the per-source limit waits for {@link SourceKnown}.
   */
  public boolean admit(Channel ch, boolean sourceKnown) {
    int max = limits.maxConnections();
    if (open.incrementAndGet() > max && max > 0) {
      open.decrementAndGet();
      reject(ch, "max_connections", "max-connections (" + max + ") reached", lastGlobalWarn);
      return false;
    }
    if (sourceKnown) {
      InetAddress source = sourceOf(ch);
      if (!countSource(source)) {
        open.decrementAndGet();
        reject(ch, "max_connections_per_source",
            "max-connections-per-source (" + limits.maxConnectionsPerSource() + ") reached for "
                + source.getHostAddress(), lastSourceWarn);
        return false;
      }
      ch.attr(COUNTED_AS).set(source);
    }
    ch.closeFuture().addListener(f -> {
      open.decrementAndGet();
      uncountSource(ch.attr(COUNTED_AS).getAndSet(null));
    });
    return true;
  }

  /** The client's IP: the PROXY header's when one was read, else the TCP peer's; null without one. */
  private static InetAddress sourceOf(Channel ch) {
    SocketAddress proxied = ch.attr(ConnectionFacts.CLIENT_ADDRESS).get();
    SocketAddress a = proxied != null ? proxied : ch.remoteAddress();
    return a instanceof InetSocketAddress isa ? isa.getAddress() : null;
  }

  /** Open connections counted now (tests, status). */
  public int openConnections() {
    return open.get();
  }

  /** Open connections counted for {@code source}. */
  public int openConnections(InetAddress source) {
    return perSource.getOrDefault(source, 0);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SourceKnown) {
      countKnownSource(ctx.channel());
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** The PROXY protocol settled the client's address: count the connection under it, or close it. */
  private void countKnownSource(Channel ch) {
    InetAddress source = sourceOf(ch);
    if (ch.hasAttr(COUNTED_AS) && ch.attr(COUNTED_AS).get() != null) {
      return; // counted already
    }
    if (!countSource(source)) {
      reject(ch, "max_connections_per_source",
          "max-connections-per-source (" + limits.maxConnectionsPerSource() + ") reached for " + source.getHostAddress(),
          lastSourceWarn);
      ch.close();
      return;
    }
    ch.attr(COUNTED_AS).set(source);
  }

  private boolean countSource(InetAddress source) {
    if (source == null) {
      return true; // no IP (embedded and local channels in tests): nothing to key on
    }
    int max = limits.maxConnectionsPerSource();
    boolean[] admitted = {true};
    // one atomic step per key: a check-then-increment could race a concurrent release's removal
    perSource.compute(source, (s, n) -> {
      int count = n == null ? 0 : n;
      if (max > 0 && count >= max) {
        admitted[0] = false;
        return n;
      }
      return count + 1;
    });
    return admitted[0];
  }

  private void uncountSource(InetAddress source) {
    if (source != null) {
      perSource.computeIfPresent(source, (s, n) -> n <= 1 ? null : n - 1);
    }
  }

  private void reject(Channel ch, String reason, String why, AtomicLong lastWarn) {
    metrics.connectionRejected(reason);
    long now = System.nanoTime();
    long last = lastWarn.get();
    if (now - last >= WARN_EVERY_NANOS && lastWarn.compareAndSet(last, now)) {
      log.warn("refusing new client connections: {} (apilb.listener.limits; open connections are served; "
          + "apilb_listener_rejected_connections_total counts every refusal)", why);
    } else {
      log.debug("refused connection from {}: {}", ch.remoteAddress(), why);
    }
  }
}
