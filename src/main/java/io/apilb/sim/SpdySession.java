package io.apilb.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The server side of a Kubernetes SPDY/3.1 streaming session, on top of Netty's SPDY frame codec
 * (which does the framing and the zlib header compression with the SPDY dictionary).
 *
 * <p>Exec and attach ({@code v4.channel.k8s.io} and older): the client opens one stream per
 * channel, named by the {@code streamType} header ({@code error}, {@code stdin}, {@code stdout},
 * {@code stderr}, {@code resize}); each gets a SYN_REPLY. The command starts once the streams the
 * query asked for are open. Stdin EOF is a FIN on the stdin stream. At exit the server writes the
 * status on the error stream (v4: a metav1.Status; older: a text message for a non-zero exit) and
 * half-closes error, stdout and stderr.
 *
 * <p>Port-forward ({@code portforward.k8s.io}): per TCP connection the client opens an
 * {@code error} and a {@code data} stream with the same {@code requestID}; bytes on the data stream
 * are echoed back; when the client half-closes the data stream the server half-closes both.
 *
 * <p>PINGs are answered. Stream flow control is not enforced (spdystream does not use it either).
 * Also used inside WebSocket binary messages for port-forward with
 * {@code SPDY/3.1+portforward.k8s.io}.
 */
final class SpdySession extends ChannelInboundHandlerAdapter {
  private static final int MAX_DATA = 32 * 1024;

  private final StreamSession record;
  private final ExecCommand command;
  private final String protocol;
  private final boolean wantStdin;
  private final boolean wantStdout;
  private final boolean wantStderr;
  /** streamType by stream id. */
  private final Map<Integer, String> streams = new HashMap<>();
  /** Port-forward: error stream id by requestID. */
  private final Map<String, Integer> errorStreams = new HashMap<>();
  /** Port-forward: requestID by data stream id. */
  private final Map<Integer, String> dataRequests = new HashMap<>();
  private int errorId = -1;
  private int stdoutId = -1;
  private int stderrId = -1;
  private boolean started;
  private boolean pendingEof;

  private SpdySession(StreamSession record, ExecCommand command, String protocol, boolean stdin, boolean stdout,
      boolean stderr) {
    this.record = record;
    this.command = command;
    this.protocol = protocol;
    this.wantStdin = stdin;
    this.wantStdout = stdout;
    this.wantStderr = stderr;
  }

  static SpdySession exec(StreamSession record, ExecCommand command, String protocol, boolean stdin, boolean stdout,
      boolean stderr) {
    return new SpdySession(record, command, protocol, stdin, stdout, stderr);
  }

  static SpdySession portForward(StreamSession record) {
    return new SpdySession(record, null, "portforward.k8s.io", false, false, false);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().closeFuture().addListener(f -> ctx.executor().execute(() -> {
      record.markClosed();
      if (command != null) {
        command.abort();
      }
    }));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof SpdySynStreamFrame syn) {
        onSynStream(ctx, syn);
      } else if (msg instanceof SpdyDataFrame data) {
        onData(ctx, data);
      } else if (msg instanceof SpdyPingFrame ping) {
        ctx.writeAndFlush(ping);
        msg = null;
      } else if (msg instanceof SpdyRstStreamFrame rst) {
        streams.remove(rst.streamId());
        dataRequests.remove(rst.streamId());
      } else if (msg instanceof SpdyGoAwayFrame) {
        ctx.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onSynStream(ChannelHandlerContext ctx, SpdySynStreamFrame syn) {
    int id = syn.streamId();
    String type = header(syn, "streamtype");
    if (type == null) {
      ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.PROTOCOL_ERROR));
      return;
    }
    streams.put(id, type);
    // Go's framer reads a compressed header block in every SYN_REPLY, so it must not be empty.
    DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(id);
    reply.headers().set(":status", "200").set(":version", "HTTP/1.1");
    ctx.writeAndFlush(reply);
    if (command == null) {
      String requestId = header(syn, "requestid");
      if (type.equals("error")) {
        errorStreams.put(requestId, id);
      } else if (type.equals("data")) {
        dataRequests.put(id, requestId);
        record.dataStreamOpened();
      }
      return;
    }
    switch (type) {
      case "error" -> errorId = id;
      case "stdout" -> stdoutId = id;
      case "stderr" -> stderrId = id;
      default -> { }
    }
    if (syn.isLast() && type.equals("stdin")) {
      stdinEof();
    }
    maybeStart(ctx);
  }

  private static String header(SpdySynStreamFrame syn, String name) {
    for (Map.Entry<CharSequence, CharSequence> e : syn.headers()) {
      if (e.getKey().toString().equalsIgnoreCase(name)) {
        return e.getValue().toString();
      }
    }
    return null;
  }

  private void maybeStart(ChannelHandlerContext ctx) {
    if (started || errorId < 0 || (wantStdout && stdoutId < 0) || (wantStderr && stderrId < 0)
        || (wantStdin && !streams.containsValue("stdin"))) {
      return;
    }
    started = true;
    command.start(ctx.executor(), new ExecCommand.Io() {
      @Override
      public void stdout(ByteBuf data) {
        write(ctx, stdoutId, data);
      }

      @Override
      public void stderr(ByteBuf data) {
        write(ctx, stderrId >= 0 ? stderrId : stdoutId, data);
      }

      @Override
      public void exit(int code) {
        byte[] status = null;
        if (protocol.equals("v4.channel.k8s.io") || protocol.equals("v5.channel.k8s.io")) {
          status = ExecCommand.exitStatus(record.command(), code);
        } else if (code != 0) {
          status = ("command terminated with non-zero exit code: exit code " + code).getBytes(StandardCharsets.UTF_8);
        }
        if (status != null) {
          write(ctx, errorId, Unpooled.wrappedBuffer(status));
        }
        fin(ctx, errorId);
        fin(ctx, stdoutId);
        fin(ctx, stderrId);
      }
    });
    if (pendingEof) {
      command.stdinEof();
    }
  }

  private void stdinEof() {
    if (started) {
      command.stdinEof();
    } else {
      pendingEof = true;
    }
  }

  private void onData(ChannelHandlerContext ctx, SpdyDataFrame data) {
    int id = data.streamId();
    String type = streams.get(id);
    ByteBuf content = data.content();
    if (type == null) {
      return;
    }
    if (command == null) {
      if (type.equals("data")) {
        if (content.isReadable()) {
          record.addStdin(content.readableBytes());
          record.addOutput(content.readableBytes());
          write(ctx, id, content.retain());
        }
        if (data.isLast()) {
          fin(ctx, id);
          Integer err = errorStreams.remove(dataRequests.remove(id));
          if (err != null) {
            fin(ctx, err);
          }
        }
      }
      return;
    }
    switch (type) {
      case "stdin" -> {
        if (content.isReadable()) {
          if (started) {
            command.stdin(content.retain());
          } else {
            record.addStdin(content.readableBytes());
          }
        }
        if (data.isLast()) {
          stdinEof();
        }
      }
      case "resize" -> {
        for (String line : content.toString(StandardCharsets.UTF_8).split("\n")) {
          int[] size = ExecCommand.parseResize(line);
          if (size != null && started) {
            command.resize(size[0], size[1]);
          }
        }
      }
      default -> { }
    }
  }

  /** Writes {@code data} on a stream in frames of at most 32 KiB; takes ownership. */
  private void write(ChannelHandlerContext ctx, int id, ByteBuf data) {
    if (id < 0 || !ctx.channel().isActive()) {
      data.release();
      return;
    }
    while (data.readableBytes() > MAX_DATA) {
      ctx.write(new DefaultSpdyDataFrame(id, data.readRetainedSlice(MAX_DATA)));
    }
    ctx.writeAndFlush(new DefaultSpdyDataFrame(id, data));
    if (!ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  private void fin(ChannelHandlerContext ctx, int id) {
    if (id >= 0 && ctx.channel().isActive()) {
      DefaultSpdyDataFrame f = new DefaultSpdyDataFrame(id);
      f.setLast(true);
      ctx.writeAndFlush(f);
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
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
