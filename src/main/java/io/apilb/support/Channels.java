package io.apilb.support;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/** Small channel helpers. */
public final class Channels {
  private Channels() {}

  /** Flushes what is pending, then closes: the peer receives everything already written. */
  public static void closeOnFlush(Channel ch) {
    if (ch != null && ch.isActive()) {
      ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else if (ch != null) {
      ch.close();
    }
  }
}
