package io.apilb.backend.pool;

import io.apilb.backend.BackendEntry;
import io.apilb.support.HandlerNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A {@link BackendAttempt} on one HTTP/1.1 connection of a {@link BackendPool}. */
final class PooledConnectionAttempt implements BackendAttempt {
  /** How long an abandoned response may take to finish when no request timeout applies. */
  private static final Duration DEFAULT_ABANDON_LIMIT = Duration.ofSeconds(30);

  private final BackendPool pool;
  private final BackendEntry backend;
  private final Channel channel;
  private final BackendRelayHandler relay;
  private boolean counted;
  private boolean longRunning;
  private boolean ended;

  PooledConnectionAttempt(BackendPool pool, BackendEntry backend, Channel channel) {
    this(pool, backend, channel, channel.pipeline().get(BackendRelayHandler.class));
  }

  PooledConnectionAttempt(BackendPool pool, BackendEntry backend, Channel channel, BackendRelayHandler relay) {
    this.pool = pool;
    this.backend = backend;
    this.channel = channel;
    this.relay = relay;
  }

  @Override
  public BackendEntry backend() {
    return backend;
  }

  @Override
  public void start(Listener listener, boolean longRunning) {
    this.longRunning = longRunning;
    relay.attach(listener);
    backend.stats().requestStarted(longRunning);
    counted = true;
  }

  @Override
  public void write(Object msg) {
    // Void promises on the per-request path: no promise or listener per write. A failed write
    // fires exceptionCaught in the backend pipeline, whose relay closes the connection.
    channel.write(msg, channel.voidPromise());
  }

  @Override
  public void flush() {
    channel.flush();
  }

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public void read() {
    channel.read();
  }

  @Override
  public void release() {
    if (end()) {
      pool.release(channel, relay);
    }
  }

  @Override
  public void close() {
    if (end()) {
      channel.close();
    }
  }

  @Override
  public void abandon(Duration limit) {
    if (ended) {
      return;
    }
    Discarding discarding = new Discarding(limit.isZero() ? DEFAULT_ABANDON_LIMIT : limit);
    relay.attach(discarding);
    channel.read();
  }

  /** Reads an abandoned response to its end, dropping it, then pools the connection (or closes it). */
  private final class Discarding implements Listener {
    private final ScheduledFuture<?> deadline;
    private boolean keepAlive = true;

    Discarding(Duration limit) {
      deadline = channel.eventLoop().schedule(() -> finish(false), limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onBackendMessage(Object msg) {
      if (msg instanceof HttpResponse head) {
        keepAlive = HttpUtil.isKeepAlive(head) && head.decoderResult().isSuccess();
      }
      boolean last = msg instanceof LastHttpContent;
      boolean broken = msg instanceof HttpObject o && o.decoderResult().isFailure();
      ReferenceCountUtil.release(msg);
      if (last || broken) {
        finish(last && !broken && keepAlive);
      } else {
        channel.read();
      }
    }

    @Override
    public void onBackendInactive() {
      finish(false);
    }

    @Override
    public void onBackendWritabilityChanged(boolean writable) {}

    @Override
    public void onBackendReadComplete() {}

    private void finish(boolean reuse) {
      deadline.cancel(false);
      if (reuse) {
        release();
      } else {
        close();
      }
    }
  }

  @Override
  public void handOver(ChannelHandler successor) {
    relay.detach();
    ended = true;
    if (counted) {
      counted = false;
      // an upgraded connection stays long-running load on its backend while the tunnel lives
      channel.closeFuture().addListener(f -> backend.stats().requestEnded(longRunning));
    }
    ChannelPipeline p = channel.pipeline();
    p.addLast(HandlerNames.TUNNEL, successor);
    p.remove(relay);
    if (p.get(HandlerNames.BACKEND_HTTP_CODEC) != null) {
      p.remove(HandlerNames.BACKEND_HTTP_CODEC); // bytes it still holds go to the successor
    }
  }

  /** Detaches the relay and ends the request count, once; false when already ended. */
  private boolean end() {
    if (ended) {
      return false;
    }
    ended = true;
    relay.detach();
    if (counted) {
      counted = false;
      backend.stats().requestEnded(longRunning);
    }
    return true;
  }
}
