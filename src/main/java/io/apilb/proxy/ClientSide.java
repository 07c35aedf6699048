package io.apilb.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The client of one exchange, whatever its protocol: an HTTP/1.1 connection or one HTTP/2
 * stream. The front end implements it ({@code frontend.http1}, {@code frontend.http2}); the
 * exchange never asks which protocol it serves. Event loop only.
 */
public interface ClientSide {
  /** What admission needs to know about the connection. */
  ConnectionFacts facts();

  EventLoop eventLoop();

  ByteBufAllocator alloc();

  /** The client can still receive our response. */
  boolean isOpen();

  /** More response bytes can be written without queueing past the transport or stream window. */
  boolean isWritable();

  /** Asks for the next request message (body content). */
  void read();

  /** Writes the backend's response head, converted for the client; {@code endOfResponse} if no content follows. */
  void writeResponseHead(HttpResponse backendHead, HttpMethod requestMethod, boolean endOfResponse);

  /** Writes response content (a {@code LastHttpContent} ends the response); takes the reference. */
  void writeContent(HttpContent content);

  void flush();

  /**
   * The response is complete on the wire (or about to be). {@code requestComplete}: the client's
   * request was read to its end. HTTP/1.1 serves the next request or closes; HTTP/2 asks a client
   * still sending to stop.
   */
  void responseEnded(boolean requestComplete);

  /** A whole response from apilb itself (a Status body), then {@link #responseEnded}. */
  void respond(FullHttpResponse response, boolean requestComplete);

  /** A response that cannot be finished honestly: HTTP/1.1 closes the connection, HTTP/2 resets the stream. */
  void abort();

  /**
   * After a backend's 101: writes the switching response and hands the connection over to
   * {@code successor} as raw bytes (HTTP handlers removed). HTTP/1.1 only: upgrades over HTTP/2
   * are refused at admission.
   */
  void switchProtocols(HttpResponse backendHead, ChannelHandler successor);
}
