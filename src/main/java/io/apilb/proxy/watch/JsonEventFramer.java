package io.apilb.proxy.watch;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * JSON watch events ({@code application/json;stream=watch}): kube-apiserver writes each event with
 * Go's {@code json.Encoder}, which ends every object with a newline, and a newline never occurs
 * inside a JSON text (it is escaped in strings). So an event ends at every newline; searching from
 * the end finds the last one at once in the usual case of one event per buffer.
 */
public final class JsonEventFramer implements EventFramer {
  @Override
  public int scan(ByteBuf bytes) {
    int lf = bytes.forEachByteDesc(ByteProcessor.FIND_LF);
    return lf < 0 ? -1 : lf + 1;
  }
}
