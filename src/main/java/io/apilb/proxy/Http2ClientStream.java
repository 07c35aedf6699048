package io.apilb.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * One HTTP/2 stream of a client connection, as an exchange sees it. Streams are served by one
 * handler on the connection (no child channel per stream): this is the whole surface an exchange
 * needs. Event loop only.
 */
public interface Http2ClientStream {
  /** The client's connection (its address and verified certificate). */
  Channel connection();

  /** The stream is still open for our response. */
  boolean isOpen();

  /** Our side may send more DATA without queueing past the flow-control window. */
  boolean isWritable();

  /** Returns the request bytes delivered so far to the client's flow-control window. */
  void read();

  void writeHeaders(Http2Headers headers, boolean endStream);

  /** Writes the content's bytes as DATA (ending the stream on a last content); takes the reference. */
  void writeContent(HttpContent content);

  /** A whole response from apilb itself (a Status body). */
  void writeResponse(FullHttpResponse response);

  void flush();

  /** Aborts: resets the stream (CANCEL) at once if it is still open. */
  void reset();

  /**
   * The response is complete but the request body is not: once the end of the response is on
   * the wire, asks the client to stop sending (RST_STREAM NO_ERROR, RFC 9113 section 8.1).
   */
  void stopRequestBody();
}
