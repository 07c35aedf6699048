package io.apilb.controlplane;

import io.apilb.backend.Backend;
import io.apilb.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * apilb's own API reads: {@code GET} over HTTP/1.1 and TLS to one backend, with a
 * {@link ApiCredential}, the response read whole (bounded). One connection per request, closed
 * after the response: reads happen every few seconds, so a kept connection would save little and
 * cost a state machine like the probe's.
 *
 * <p>Threading: {@link #get} only hands work to an event loop and never blocks; the future
 * completes on that loop, so callers move to their own thread ({@code thenAcceptAsync(..., control)}).
 *
 * <p>Shutdown: {@link #close} closes the connections still open through their pipelines before the
 * caller shuts the event loops down. A channel left to the loop's own shutdown is closed under the
 * pipeline, and the TLS handler then never hears of it: a request it still held would leak.
 */
public final class ApiClient {
  /** How long {@link #close} waits for open connections to close. */

  /** Largest body read; EndpointSlices and Leases of a control plane are a few KiB. */
  static final int MAX_BODY = 8 * 1024 * 1024;

  private final EventLoopGroup group;
  private final Class<? extends SocketChannel> channelClass;
  private final Duration timeout;
  /** Open connections; a channel leaves the group when it closes, and one added after close() is closed. */
  private final ChannelGroup open = new DefaultChannelGroup("apilb-api-reads", ImmediateEventExecutor.INSTANCE, true);
  private volatile boolean closed;

  public ApiClient(EventLoopGroup group, Class<? extends SocketChannel> channelClass, Duration timeout) {
    this.group = Objects.requireNonNull(group, "group");
    this.channelClass = Objects.requireNonNull(channelClass, "channelClass");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /** {@code GET pathAndQuery} on {@code backend}; fails with the cause when no response was read. */
  public CompletableFuture<ApiResponse> get(Backend backend, String pathAndQuery, ApiCredential credential) {
    CompletableFuture<ApiResponse> result = new CompletableFuture<>();
    EventLoop loop;
    try {
      loop = group.next();
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    loop.execute(() -> start(loop, backend, pathAndQuery, credential, result));
    return result;
  }

  private void start(EventLoop loop, Backend backend, String path, ApiCredential credential,
      CompletableFuture<ApiResponse> result) {
    ChannelFuture cf = new Bootstrap().group(loop).channel(channelClass)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast("tls", TlsContexts.newBackendHandler(credential.sslContext(), ch.alloc(),
                    backend.verifiedName(), backend.port()))
                .addLast("http", new HttpClientCodec())
                .addLast("response", new ResponseReader(backend.name(), result));
          }
        })
        .connect(backend.host(), backend.port());
    Channel ch = cf.channel();
    if (closed) {
      result.completeExceptionally(new IOException("API client closed"));
      ch.close();
      return;
    }
    open.add(ch);
    var timer = loop.schedule(() -> {
      result.completeExceptionally(new TimeoutException("no response from " + backend.name() + " within " + timeout));
      ch.close();
    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    result.whenComplete((r, t) -> {
      timer.cancel(false);
      ch.close();
    });
    cf.addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(f.cause());
        return;
      }
      // The request waits for TLS: written earlier, it would sit in the TLS handler's queue
      ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
        if (h.isSuccess()) {
          send(ch, backend, path, credential, result);
        } else {
          result.completeExceptionally(h.cause());
        }
      });
    });
    ch.closeFuture().addListener(f -> result.completeExceptionally(
        new IOException("connection to " + backend.name() + " closed before the response ended")));
  }

  private static void send(Channel ch, Backend backend, String path, ApiCredential credential,
      CompletableFuture<ApiResponse> result) {
    DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    req.headers().set(HttpHeaderNames.HOST, backend.address())
        .set(HttpHeaderNames.USER_AGENT, "apilb")
        .set(HttpHeaderNames.ACCEPT, "application/json")
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    credential.headers().forEach(h -> req.headers().add(h.getKey(), h.getValue()));
    ch.writeAndFlush(req).addListener(w -> {
      if (!w.isSuccess()) {
        result.completeExceptionally(w.cause());
      }
    });
  }

  /**
   * Closes the open connections (their reads fail) without waiting: the returned future completes
   * when they have closed, and the owner that shuts the event loops down waits on it first, so no
   * connection is left to the loops' own shutdown.
   */
  public ChannelGroupFuture close() {
    closed = true;
    return open.close();
  }

  /** Collects one response; completes the future at its end. */
  private static final class ResponseReader extends SimpleChannelInboundHandler<HttpObject> {
    private final String backend;
    private final CompletableFuture<ApiResponse> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    ResponseReader(String backend, CompletableFuture<ApiResponse> result) {
      this.backend = backend;
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg.decoderResult().isFailure()) {
        result.completeExceptionally(msg.decoderResult().cause());
        return;
      }
      if (msg instanceof HttpResponse res) {
        status = res.status().code();
      }
      if (msg instanceof HttpContent content) {
        int n = content.content().readableBytes();
        if (body.size() + n > MAX_BODY) {
          result.completeExceptionally(new IOException("response of " + backend + " exceeds " + MAX_BODY + " bytes"));
          return;
        }
        byte[] bytes = new byte[n];
        content.content().getBytes(content.content().readerIndex(), bytes);
        body.write(bytes, 0, n);
        if (msg instanceof LastHttpContent) {
          result.complete(new ApiResponse(backend, status, body.toByteArray()));
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
