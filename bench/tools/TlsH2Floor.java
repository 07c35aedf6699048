// The smallest server of apilb's kind, for bench/floor.sh: what a JVM holds with apilb's sidecar
// options before any of apilb's own work. Netty only (epoll, BoringSSL through netty-tcnative,
// ALPN h2, HTTP/2 codec); every request gets "200 ok". No configuration, logging, metrics, backend
// client, health checks or admin port: apilb's idle footprint cannot go below this one's.
//
//   java OPTIONS -cp floor.jar:netty-only.jar TlsH2Floor PORT CERT KEY   the TLS + HTTP/2 server
//   java OPTIONS -cp floor.jar TlsH2Floor --jvm-only                     the JVM alone, no Netty
//
// Compiled with javac by floor.sh (not run as a single-file source program: the in-memory compiler
// would load its own classes into the JVM measured).

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.File;
import java.nio.charset.StandardCharsets;

public final class TlsH2Floor {
  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--jvm-only")) {
      System.out.println("ready");
      Thread.sleep(Long.MAX_VALUE);
      return;
    }
    if (args.length != 3) {
      System.err.println("usage: TlsH2Floor PORT CERT KEY | --jvm-only");
      System.exit(2);
    }
    NettyServer.serve(args);
  }
}

// A class apart from main's: the JVM verifies a class as a whole, and verifying the server's code
// loads Netty's classes, which --jvm-only has not on its class path.
final class NettyServer {
  static void serve(String[] args) throws Exception {
    SslContext tls = SslContextBuilder.forServer(new File(args[1]), new File(args[2]))
        .sslProvider(SslProvider.OPENSSL)
        .applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT, "h2"))
        .build();
    // two event loops, as apilb's sidecar profile (-XX:ActiveProcessorCount=2)
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.newHandler(ch.alloc()), Http2FrameCodecBuilder.forServer().build(),
                new Ok());
          }
        })
        .bind("127.0.0.1", Integer.parseInt(args[0])).sync();
    System.out.println("ready");
  }

  /** Answers every request, once its head has ended it, with 200 and a two-byte body. */
  private static final class Ok extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame head && head.isEndStream()) {
          ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")).stream(head.stream()));
          ctx.writeAndFlush(new DefaultHttp2DataFrame(
              Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII), true).stream(head.stream()));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }
}
