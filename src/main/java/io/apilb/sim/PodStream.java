package io.apilb.sim;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A pod subresource response that takes over the connection: an upgrade (exec, attach,
 * port-forward) or a followed log stream. Runs on the connection's event loop.
 */
interface PodStream {
  /**
   * Writes the response head and starts streaming.
   *
   * @param common headers every response carries (Audit-Id, APF, Date, ...)
   * @param onEnd called once when the connection may serve another request (for upgrades: at once,
   *     as the connection no longer carries HTTP)
   */
  void start(ChannelHandlerContext ctx, HttpRequest request, HttpHeaders common, Runnable onEnd);
}
