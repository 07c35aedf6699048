package io.apilb.passthrough;

import io.apilb.backend.BackendEntry;
import io.apilb.balancing.RequestClass;
import io.apilb.balancing.SelectionContext;
import io.apilb.support.Channels;
import io.apilb.support.HandlerNames;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one passed-through TLS connection. Bytes that arrive before the backend
 * connection is up (the ClientHello) wait in a queue; a backend that cannot be reached is
 * counted and the next one tried, since nothing has been sent to it. Once connected, the client
 * is read only after the backend accepted the last write (auto-read stays off).
 */
final class PassthroughClientHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PassthroughClientHandler.class);

  private final Passthrough passthrough;
  private final ArrayDeque<Object> waiting = new ArrayDeque<>();
  private final Set<String> tried = new HashSet<>();
  private Channel client;
  private Channel backend;
  private boolean connected;

  PassthroughClientHandler(Passthrough passthrough) {
    this.passthrough = passthrough;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    client = ctx.channel();
    connectNext();
  }

  private void connectNext() {
    Optional<BackendEntry> choice = passthrough.balancer().select(passthrough.backends().snapshot(),
        new SelectionContext(RequestClass.LONG_RUNNING, tried));
    if (choice.isEmpty()) {
      log.debug("passthrough from {}: no reachable ready backend (tried {})", client.remoteAddress(), tried);
      client.close();
      return;
    }
    BackendEntry entry = choice.get();
    tried.add(entry.name());
    ChannelFuture f = new Bootstrap()
        .group(client.eventLoop())
        .channel(passthrough.channelClass())
        .resolver(passthrough.resolver())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) passthrough.connectTimeout().toMillis())
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(HandlerNames.PASSTHROUGH_BACKEND, new PassthroughBackendHandler(client, entry));
          }
        })
        .connect(entry.backend().host(), entry.backend().port());
    backend = f.channel();
    f.addListener(done -> {
      if (done.isSuccess()) {
        onConnected(entry);
      } else if (client.isActive()) {
        passthrough.metrics().connectFailure(entry.name());
        log.debug("passthrough to {} failed: {}; trying another backend", entry.name(), done.cause().toString());
        connectNext();
      }
    });
  }

  private void onConnected(BackendEntry entry) {
    if (!client.isActive()) {
      backend.close();
      return;
    }
    connected = true;
    entry.stats().requestStarted(true);
    backend.closeFuture().addListener(c -> entry.stats().requestEnded(true));
    if (waiting.isEmpty()) {
      client.read();
    } else {
      while (waiting.size() > 1) {
        backend.write(waiting.poll());
      }
      relay(waiting.poll());
    }
    backend.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (connected) {
      relay(msg);
    } else {
      waiting.add(msg); // the ClientHello, before the backend connection is up
    }
  }

  /** Writes to the backend and reads the client again once the write succeeded. */
  private void relay(Object msg) {
    backend.writeAndFlush(msg).addListener(w -> {
      if (w.isSuccess()) {
        client.read();
      } else {
        client.close();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseWaiting();
    if (backend != null) {
      Channels.closeOnFlush(backend);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseWaiting();
  }

  private void releaseWaiting() {
    Object m;
    while ((m = waiting.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("passthrough client {}: {}", ctx.channel().remoteAddress(), cause.toString());
    Channels.closeOnFlush(ctx.channel());
  }
}
