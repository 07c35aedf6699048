package io.apilb.frontend;

import io.apilb.config.ProxyProtocolConfig;
import io.apilb.config.ProxyProtocolMode;
import io.apilb.support.HandlerNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a listener connection when PROXY protocol is on: decides from the TCP
 * peer and the first bytes whether a PROXY header (v1 or v2) comes, and hands the bytes on.
 *
 * <ul>
 *   <li>a header from a trusted source: Netty's {@link HAProxyMessageDecoder} reads it and
 *       {@link ProxyProtocolMessageHandler} records the client's address;
 *   <li>a header from any other source: closed (it could claim any address);
 *   <li>no header: closed in mode {@code on}; in mode {@code optional} the bytes go to TLS as they are.
 * </ul>
 *
 * In mode {@code on} a connection from an untrusted source is closed at once. The whole header
 * must arrive within the header timeout. Nothing here blocks or copies: detection peeks.
 */
final class ProxyProtocolGate extends ByteToMessageDecoder {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolGate.class);
  /** v2 headers with TLVs beyond this are refused (AWS NLB and HAProxy send a few hundred bytes). */
  static final int MAX_V2_HEADER = 4096;

  private final ProxyProtocolConfig config;
  private ScheduledFuture<?> deadline;
  private boolean trusted;

  ProxyProtocolGate(ProxyProtocolConfig config) {
    this.config = config;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    SocketAddress peer = ctx.channel().remoteAddress();
    trusted = peer instanceof InetSocketAddress isa && isa.getAddress() != null && config.trusts(isa.getAddress());
    if (!trusted && config.mode() == ProxyProtocolMode.ON) {
      refuse(ctx, "it is not one of apilb.listener.proxy-protocol.trusted-sources");
      return;
    }
    deadline = ctx.executor().schedule(() -> {
      refuse(ctx, "no complete PROXY header or TLS ClientHello within "
          + config.headerTimeout().toMillis() + " ms");
    }, config.headerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    super.channelActive(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
    switch (detected.state()) {
      case NEEDS_MORE_DATA -> { } // ByteToMessageDecoder asks for more (auto-read is off)
      case DETECTED -> {
        if (!trusted) {
          refuse(ctx, "it sent a PROXY header but is not one of apilb.listener.proxy-protocol.trusted-sources");
          return;
        }
        // the decoder and the message handler take over; this gate hands them the bytes as it leaves
        ctx.pipeline()
            .addAfter(ctx.name(), HandlerNames.PROXY_PROTOCOL_DECODER, new HAProxyMessageDecoder(MAX_V2_HEADER, true))
            .addAfter(HandlerNames.PROXY_PROTOCOL_DECODER, HandlerNames.PROXY_PROTOCOL_MESSAGE,
                new ProxyProtocolMessageHandler(this::headerDone));
        ctx.pipeline().remove(this);
      }
      case INVALID -> {
        if (config.mode() == ProxyProtocolMode.ON) {
          refuse(ctx, "it sent no PROXY header (apilb.listener.proxy-protocol.mode = on)");
          return;
        }
        headerDone(); // optional: a direct client; TLS reads its own timeout from here
        ctx.pipeline().remove(this);
      }
      default -> throw new IllegalStateException("unexpected detection state " + detected.state());
    }
  }

  /** The header was read (or will not come): TLS's own handshake timeout applies from here. */
  private void headerDone() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      headerDone();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    headerDone();
    super.channelInactive(ctx);
  }

  private void refuse(ChannelHandlerContext ctx, String why) {
    headerDone();
    log.debug("closing connection from {}: {}", ctx.channel().remoteAddress(), why);
    ctx.close();
  }
}
