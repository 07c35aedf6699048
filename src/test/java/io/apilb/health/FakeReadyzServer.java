package io.apilb.health;

import io.apilb.pki.CertificateIssuer;
import io.apilb.tls.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny TLS HTTP/1.1 kube-apiserver stand-in serving {@code /readyz?verbose}: switchable between
 * ready, failing, shutting down and stalled; counts accepted connections; can stop listening
 * (connection refused) and drop idle connections.
 */
final class FakeReadyzServer implements AutoCloseable {
  enum Mode { READY, FAILING, SHUTTING_DOWN, STALL }

  private static final String READY_BODY = "[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n";
  private static final String FAILING_BODY =
      "[+]ping ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n";
  private static final String SHUTDOWN_BODY =
      "[+]ping ok\n[+]etcd ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n";

  final CertificateIssuer.Issued ca;
  private final SslContext sslContext;
  private final EventLoopGroup group;
  private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger connections = new AtomicInteger();
  final List<HttpRequest> requests = new CopyOnWriteArrayList<>();
  private volatile Mode mode = Mode.READY;
  private Channel server;

  FakeReadyzServer(EventLoopGroup group) throws Exception {
    this.group = group;
    this.ca = CertificateIssuer.selfSignedCa("fake-apiserver-ca", Duration.ofDays(1));
    CertificateIssuer.Issued leaf = CertificateIssuer.issue(ca, CertificateIssuer.LeafSpec.server(
        "kube-apiserver", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)));
    this.sslContext = TlsContexts.http1Server(leaf.keyMaterial());
  }

  FakeReadyzServer start() throws InterruptedException {
    return start(0);
  }

  FakeReadyzServer start(int port) throws InterruptedException {
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.incrementAndGet();
            children.add(ch);
            ch.pipeline()
                .addLast(sslContext.newHandler(ch.alloc()))
                .addLast(new HttpServerCodec())
                .addLast(new Handler());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    return this;
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  int connections() {
    return connections.get();
  }

  void mode(Mode m) {
    this.mode = m;
  }

  /** Stops listening (new connections are refused) and drops the open ones. */
  void stopListening() throws InterruptedException {
    server.close().sync();
    dropConnections();
  }

  /** Closes every accepted connection, like an idle timeout on the server. */
  void dropConnections() throws InterruptedException {
    children.close().sync();
  }

  @Override
  public void close() throws InterruptedException {
    if (server != null) {
      server.close().sync();
    }
    children.close().sync();
  }

  private final class Handler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest req) {
        requests.add(req);
      }
      if (!(msg instanceof LastHttpContent)) {
        return;
      }
      Mode m = mode;
      if (m == Mode.STALL) {
        return;
      }
      String body = switch (m) {
        case READY -> READY_BODY;
        case FAILING -> FAILING_BODY;
        default -> SHUTDOWN_BODY;
      };
      HttpResponseStatus status = m == Mode.READY ? HttpResponseStatus.OK : HttpResponseStatus.INTERNAL_SERVER_ERROR;
      FullHttpResponse res = new DefaultFullHttpResponse(
          HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      res.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
          .set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
