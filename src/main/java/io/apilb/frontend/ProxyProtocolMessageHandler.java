package io.apilb.frontend;

import io.apilb.proxy.ConnectionFacts;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the decoded PROXY header of a trusted source: a {@code PROXY} command over TCP/IPv4 or
 * IPv6 sets the connection's client address ({@link ConnectionFacts#CLIENT_ADDRESS}); a
 * {@code LOCAL} command (the balancer's own health check) or an {@code UNKNOWN} or UNIX-socket
 * source keeps the TCP peer. Then it steps aside for TLS.
 */
final class ProxyProtocolMessageHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolMessageHandler.class);

  private final Runnable headerDone;

  ProxyProtocolMessageHandler(Runnable headerDone) {
    this.headerDone = headerDone;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HAProxyMessage header)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      InetSocketAddress client = clientOf(header);
      if (client != null) {
        ctx.channel().attr(ConnectionFacts.CLIENT_ADDRESS).set(client);
      }
      log.debug("PROXY {} header from {}: client {}", header.protocolVersion(), ctx.channel().remoteAddress(),
          client != null ? client : "(the balancer itself)");
    } finally {
      ReferenceCountUtil.release(header);
    }
    headerDone.run();
    ctx.pipeline().remove(this);
    // The ClientHello may not have arrived with the header; whoever reads next needs a read.
    ctx.channel().read();
  }

  /** The client's address, or null when the header names none (LOCAL, UNKNOWN, UNIX sockets). */
  static InetSocketAddress clientOf(HAProxyMessage header) {
    if (header.command() != HAProxyCommand.PROXY) {
      return null;
    }
    HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
    if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4
        && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
      return null;
    }
    byte[] ip = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
    if (ip == null) {
      return null;
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(ip), header.sourcePort());
    } catch (java.net.UnknownHostException e) {
      return null; // cannot happen for 4 or 16 bytes
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("bad PROXY header from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    headerDone.run();
    ctx.close();
  }
}
