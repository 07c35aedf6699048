package io.apilb.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Kubernetes WebSocket channel protocols ({@code v4.channel.k8s.io}, {@code v5.channel.k8s.io}):
 * each binary message starts with a channel byte. For exec and attach: 0 stdin, 1 stdout,
 * 2 stderr, 3 error (a metav1.Status with the exit code, then the server closes), 4 resize
 * ({@code {"Width":..,"Height":..}}), and in v5 255 CLOSE (the client closed the channel named by
 * the next byte; 0 is stdin EOF). For port-forward ({@link #portForward}): per port index i, data
 * channel 2i and error channel 2i+1; the first message on each carries the port (uint16 LE), and
 * data is echoed back. Fragmented messages (gorilla splits large ones) are handled. Output applies
 * backpressure by pausing reads while the channel is not writable.
 */
final class WebSocketChannels extends ChannelInboundHandlerAdapter {
  private final StreamSession record;
  private final ExecCommand command;
  private final boolean v5;
  private final List<Integer> ports;
  private int messageChannel = -1;
  private boolean closing;

  private WebSocketChannels(StreamSession record, ExecCommand command, boolean v5, List<Integer> ports) {
    this.record = record;
    this.command = command;
    this.v5 = v5;
    this.ports = ports;
  }

  /** Exec or attach over {@code v4.channel.k8s.io} / {@code v5.channel.k8s.io}. */
  static WebSocketChannels exec(StreamSession record, ExecCommand command, boolean v5) {
    return new WebSocketChannels(record, command, v5, List.of());
  }

  /** Port-forward over {@code v4.channel.k8s.io} (fabric8, the official Java client). */
  static WebSocketChannels portForward(StreamSession record, List<Integer> ports) {
    return new WebSocketChannels(record, null, false, ports);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().closeFuture().addListener(f -> ctx.executor().execute(() -> {
      record.markClosed();
      if (command != null) {
        command.abort();
      }
    }));
    if (command != null) {
      command.start(ctx.executor(), new ExecCommand.Io() {
        @Override
        public void stdout(ByteBuf data) {
          send(ctx, 1, data);
        }

        @Override
        public void stderr(ByteBuf data) {
          send(ctx, 2, data);
        }

        @Override
        public void exit(int code) {
          send(ctx, 3, Unpooled.wrappedBuffer(ExecCommand.exitStatus(record.command(), code)));
          closing = true;
          ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
        }
      });
    } else {
      for (int i = 0; i < ports.size(); i++) {
        int p = ports.get(i);
        byte[] port = {(byte) p, (byte) (p >>> 8)};
        send(ctx, 2 * i, Unpooled.wrappedBuffer(port));
        send(ctx, 2 * i + 1, Unpooled.wrappedBuffer(port));
        record.dataStreamOpened();
      }
    }
  }

  /** Writes one binary message on {@code channel}; takes ownership of {@code data}. */
  private void send(ChannelHandlerContext ctx, int channel, ByteBuf data) {
    if (closing || !ctx.channel().isActive()) {
      data.release();
      return;
    }
    CompositeByteBuf msg = ctx.alloc().compositeBuffer(2);
    msg.addComponent(true, ctx.alloc().buffer(1).writeByte(channel));
    msg.addComponent(true, data);
    ctx.writeAndFlush(new BinaryWebSocketFrame(msg));
    if (!ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(true);
      ctx.read();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (frame instanceof PingWebSocketFrame) {
        ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
      } else if (frame instanceof CloseWebSocketFrame) {
        if (!closing) {
          closing = true;
          ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
        }
      } else if (frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame
          || frame instanceof ContinuationWebSocketFrame) {
        ByteBuf content = frame.content();
        if (!(frame instanceof ContinuationWebSocketFrame)) {
          messageChannel = content.isReadable() ? content.readUnsignedByte() : -1;
        }
        if (messageChannel >= 0 && content.isReadable()) {
          onData(ctx, messageChannel, content);
        }
        if (frame.isFinalFragment()) {
          messageChannel = -1;
        }
      }
    } finally {
      ReferenceCountUtil.release(frame);
    }
  }

  private void onData(ChannelHandlerContext ctx, int channel, ByteBuf content) {
    if (command == null) {
      if (channel % 2 == 0 && channel / 2 < ports.size()) {
        record.addStdin(content.readableBytes());
        record.addOutput(content.readableBytes());
        send(ctx, channel, content.retain());
      }
      return;
    }
    switch (channel) {
      case 0 -> command.stdin(content.retain());
      case 4 -> {
        int[] size = ExecCommand.parseResize(content.toString(StandardCharsets.UTF_8));
        if (size != null) {
          command.resize(size[0], size[1]);
        }
      }
      case 255 -> {
        if (v5 && content.getUnsignedByte(content.readerIndex()) == 0) {
          command.stdinEof();
        }
      }
      default -> { }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
