package io.apilb.sim;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code pods/{name}/log?follow=true}: a chunked {@code text/plain} response that first writes the
 * existing lines, then one new line per interval, each flushed on its own, until the client goes
 * away. Lines look like {@code 2025-01-01T00:00:00Z demo-pod/main line 7}.
 */
final class LogStream implements PodStream {
  static final Duration INTERVAL = Duration.ofMillis(200);
  static final int HISTORY = 3;

  private final String pod;
  private final String container;
  private int next = 1;

  LogStream(String pod, String container) {
    this.pod = pod;
    this.container = container;
  }

  /** The {@code n}-th line (1-based). */
  static String line(String pod, String container, int n) {
    return Instant.now() + " " + pod + "/" + container + " line " + n + "\n";
  }

  @Override
  public void start(ChannelHandlerContext ctx, HttpRequest request, HttpHeaders common, Runnable onEnd) {
    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    res.headers().add(common);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
    HttpUtil.setTransferEncodingChunked(res, true);
    ctx.write(res);
    for (int i = 0; i < HISTORY; i++) {
      ctx.write(chunk());
    }
    ctx.flush();
    ScheduledFuture<?> timer = ctx.executor().scheduleAtFixedRate(() -> {
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(chunk());
      }
    }, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    ctx.channel().closeFuture().addListener(f -> timer.cancel(false));
  }

  private DefaultHttpContent chunk() {
    return new DefaultHttpContent(Unpooled.copiedBuffer(line(pod, container, next++), StandardCharsets.UTF_8));
  }
}
