package io.apilb.sim;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What is open on one simulated apiserver (client connections, HTTP/2 streams, watches) and the
 * ways a stop ends them: gracefully, by resetting, or by no longer reading. Closing the listener
 * and deciding how long to wait are left to the caller; this class only acts on the channels.
 */
final class OpenConnections {
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ChannelGroup streams = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Set<WatchStream> watches = ConcurrentHashMap.newKeySet();

  void connectionAccepted(Channel ch) {
    connections.add(ch);
  }

  void streamOpened(Channel stream) {
    streams.add(stream);
  }

  void watchStarted(WatchStream w) {
    watches.add(w);
  }

  void watchEnded(WatchStream w) {
    watches.remove(w);
  }

  int connectionCount() {
    return connections.size();
  }

  int watchCount() {
    return watches.size();
  }

  int watchCount(WatchFraming framing) {
    return (int) watches.stream().filter(w -> w.framing() == framing).count();
  }

  /** Watches write the events held back while streams were stalled. */
  void resumeWatches() {
    watches.forEach(WatchStream::resume);
  }

  /** Stops reading every open connection (see {@link SimulatedApiserver#freezeOpenConnections()}). */
  void freeze() {
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> ch.config().setAutoRead(false));
    }
  }

  /**
   * Starts a graceful close of everything open: watches end, idle connections close, busy ones
   * after their response, HTTP/2 connections with GOAWAY waiting up to {@code timeout} for their
   * streams. Does not wait.
   */
  void closeGracefully(Duration timeout) {
    // HTTP/2: the connection's close below sends GOAWAY and waits for open streams, as Go's
    // server does; a stream is never reset here (one whose response is still queued behind
    // flow control would be cut). Watches end, as kube-apiserver's do on shutdown.
    for (Channel ch : streams) {
      ch.eventLoop().execute(() -> {
        ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
        if (h != null) {
          h.endWatch();
        }
      });
    }
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> {
        ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
        if (h != null) {
          h.closeWhenIdle(ch.pipeline().context(h));
        } else if (Http2Serving.isHttp2(ch)) {
          Http2Serving.goAway(ch, timeout.toMillis());
        } else {
          ch.close(); // still negotiating
        }
      });
    }
  }

  /** Closes whatever is still open, waiting up to 2 s. */
  void closeRemaining() {
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  /** Closes every connection with SO_LINGER 0 (the peer sees a RST), waiting up to 2 s for each. */
  void reset() {
    List<Future<?>> closes = new ArrayList<>();
    for (Channel ch : connections) {
      if (Http2Serving.isHttp2(ch)) {
        closes.add(Http2Serving.reset(ch));
        continue;
      }
      try {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // already closed
      }
      closes.add(ch.close());
    }
    closes.forEach(f -> f.awaitUninterruptibly(2, TimeUnit.SECONDS));
  }
}
