package io.apilb.testing;

import io.apilb.tls.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/1.1 TLS backend for hostile-peer tests: it records every request it receives (head,
 * body, trailers, whether its body ended cleanly, and which connection carried it) and answers
 * by the {@code fault} query parameter, well-formed by default or malformed on demand.
 * {@code /readyz} is answered {@code ok} and not recorded.
 */
public final class RecordingBackend implements AutoCloseable {

  /** One request as the backend saw it. {@code complete}: its body ended cleanly. */
  public static final class Recorded {
    public final int connection;
    public final String method;
    public final String uri;
    public final List<Map.Entry<String, String>> headers;
    public final List<Map.Entry<String, String>> trailers = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    public volatile boolean complete;

    Recorded(int connection, HttpRequest req) {
      this.connection = connection;
      this.method = req.method().name();
      this.uri = req.uri();
      this.headers = List.copyOf(req.headers().entries());
    }

    public synchronized byte[] body() {
      return body.toByteArray();
    }

    synchronized void append(ByteBuf b) {
      byte[] bytes = new byte[b.readableBytes()];
      b.getBytes(b.readerIndex(), bytes);
      body.writeBytes(bytes);
    }

    public String param(String name) {
      List<String> v = new QueryStringDecoder(uri).parameters().get(name);
      return v == null ? null : v.get(0);
    }

    /** Header and trailer names, as received. */
    public List<String> allNames() {
      List<String> names = new ArrayList<>();
      headers.forEach(h -> names.add(h.getKey()));
      trailers.forEach(h -> names.add(h.getKey()));
      return names;
    }

    @Override
    public String toString() {
      return method + " " + uri + " conn=" + connection + " complete=" + complete + " body=" + body.size() + "B";
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final SslContext ssl;
  private final Channel server;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger handshakes = new AtomicInteger();
  /** Connections whose TLS handshake completed, and those of them that carried a health probe. */
  private final java.util.Set<Integer> handshaken = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.Set<Integer> probed = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final java.util.Set<Integer> openIds = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public RecordingBackend(TlsContexts.KeyMaterial km) throws Exception {
    ssl = SslContextBuilder.forServer(km.key(), km.chain().toArray(new X509Certificate[0])).build();
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            int id = connections.incrementAndGet();
            ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(1 << 16).setMaxHeaderSize(1 << 20)), new Recorder(id));
          }
        }).bind("127.0.0.1", 0).sync().channel();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Every recorded request (never {@code /readyz}). */
  public List<Recorded> requests() {
    return List.copyOf(requests);
  }

  public List<Recorded> requestsWith(String param, String value) {
    return requests.stream().filter(r -> value.equals(r.param(param))).toList();
  }

  /** TLS handshakes completed with apilb (probes included). */
  public int handshakes() {
    return handshakes.get();
  }

  /**
   * TLS handshakes on connections that never carried a {@code /readyz} probe: the proxy path's
   * cost alone (a probe that times out reconnects, which says nothing about the proxy path).
   */
  public int proxiedHandshakes() {
    return (int) handshaken.stream().filter(id -> !probed.contains(id)).count();
  }

  /** The open connections, each as its id and whether it carried a probe, a request, or nothing yet. */
  public String describeOpen() {
    return openIds.stream().sorted().map(id -> id + (probed.contains(id) ? ":probe"
        : requests.stream().anyMatch(r -> r.connection == id) ? ":proxied" : ":no-request")).toList().toString();
  }

  public int openConnections() {
    return open.get();
  }

  public void clear() {
    requests.clear();
  }

  @Override
  public void close() {
    if (group.isShuttingDown()) {
      return; // closed already (a test that stops a backend, then the fixture)
    }
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Recorder extends ChannelInboundHandlerAdapter {
    private final int id;
    private Recorded current;

    Recorder(int id) {
      this.id = id;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      openIds.add(id);
      open.incrementAndGet();
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      openIds.remove(id);
      open.decrementAndGet();
      ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
        handshakes.incrementAndGet();
        handshaken.add(id);
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpRequest req) {
          if (req.decoderResult().isFailure()) {
            ctx.close();
            return;
          }
          current = new Recorded(id, req);
          if (!req.uri().startsWith("/readyz")) {
            requests.add(current);
          } else {
            probed.add(id);
          }
        }
        if (msg instanceof HttpContent c && current != null) {
          if (c.decoderResult().isFailure()) {
            current = null; // the body did not end cleanly: stays incomplete
            ctx.close();
            return;
          }
          current.append(c.content());
          if (c instanceof LastHttpContent last) {
            current.trailers.addAll(last.trailingHeaders().entries());
            current.complete = true;
            Recorded r = current;
            current = null;
            respond(ctx, r);
          }
        }
      } finally {
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private void respond(ChannelHandlerContext ctx, Recorded r) {
      String fault = r.uri.startsWith("/readyz") ? null : r.param("fault");
      String json = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"ok\"},\"bodyBytes\":"
          + r.body().length + "}";
      String ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length()
          + "\r\n\r\n" + json;
      String out;
      boolean close = false;
      switch (fault == null ? "" : fault) {
        case "badchunk" -> out = chunkedHead() + "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n";
        case "overrun" -> out = chunkedHead() + "2\r\nhello\r\n0\r\n\r\n";
        case "garbage" -> out = "this is not an HTTP response\r\n\r\n";
        case "hugehead" -> out = "HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(100_000) + "\r\nContent-Length: 2\r\n\r\nok";
        case "conflict" -> out = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" + chunkedHead().substring(17)
            + "5\r\nhello\r\n0\r\n\r\n";
        case "twolengths" -> out = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello";
        case "truncated" -> {
          out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\":";
          close = true;
        }
        case "truncatedchunk" -> {
          out = chunkedHead() + "5\r\nhello\r\n";
          close = true;
        }
        case "desync" -> out = ok + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled";
        case "hang" -> out = null;
        case "close" -> {
          ctx.close(); // the request arrived whole; no response at all
          out = null;
        }
        default -> out = r.uri.startsWith("/readyz")
            ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok" : ok;
      }
      if (out == null) {
        return;
      }
      // raw bytes, past the codec's encoder
      var f = ctx.pipeline().context(HttpServerCodec.class).writeAndFlush(Unpooled.copiedBuffer(out, StandardCharsets.ISO_8859_1));
      if (close) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    private static String chunkedHead() {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
    }
  }
}
