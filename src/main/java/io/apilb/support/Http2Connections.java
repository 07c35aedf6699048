package io.apilb.support;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * The HTTP/2 connection state apilb's front end and backend connections are built on. Outbound
 * DATA is shared among the streams that have some in equal turns ({@link
 * UniformStreamByteDistributor}), not by the priority tree of Netty's default distributor: RFC
 * 9113 deprecates stream priorities, clients of an apiserver do not send them, and keeping that
 * tree (a priority queue per stream, updated on every add, remove and write) cost about 5 % of
 * the proxy's CPU per request in the profile.
 */
public final class Http2Connections {
  private Http2Connections() {}

  /** A new connection's state: {@code server} side or client side, equal-turn DATA writes. */
  public static Http2Connection withEqualTurns(boolean server) {
    DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
    connection.remote().flowController(
        new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    return connection;
  }
}
