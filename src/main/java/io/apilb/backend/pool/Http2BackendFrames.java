package io.apilb.backend.pool;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;

/** The frames of one {@link Http2BackendConnection}, each handed to its stream's attempt. */
final class Http2BackendFrames extends Http2FrameAdapter {
  private final Http2BackendConnection conn;

  Http2BackendFrames(Http2BackendConnection conn) {
    this.conn = conn;
  }

  @Override
  public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
    conn.onSettings();
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
      short weight, boolean exclusive, int padding, boolean endStream) {
    onHeadersRead(ctx, streamId, headers, padding, endStream);
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
      boolean endStream) {
    Http2StreamAttempt a = conn.attempt(streamId);
    if (a != null) {
      a.onHeaders(headers, endStream);
    }
  }

  @Override
  public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
    Http2StreamAttempt a = conn.attempt(streamId);
    if (a == null) {
      return data.readableBytes() + padding; // nobody wants it: straight back to the window
    }
    a.onData(data, endOfStream);
    return padding; // the data's bytes return as the client takes them
  }

  @Override
  public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
    Http2StreamAttempt a = conn.attempt(streamId);
    if (a != null) {
      a.onReset(errorCode);
    }
  }

  @Override
  public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    conn.onPingAck(data);
  }
}
