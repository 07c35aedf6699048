package io.apilb.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HttpMessageKinds answers exactly as {@code instanceof} would, for the classes it compares
 * exactly, their subclasses (which must not pass for them) and everything else, and hands back
 * the very object it was given.
 */
class HttpMessageKindsTest {
  private final List<Object> messages = new ArrayList<>();

  @AfterEach
  void release() {
    messages.forEach(ReferenceCountUtil::release);
  }

  private List<Object> samples() {
    DefaultLastHttpContent withTrailers = new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[] {1, 2}));
    withTrailers.trailingHeaders().add("x-checksum", "abc");
    messages.addAll(List.of(
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.buffer(4)),
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api"),
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api", Unpooled.buffer(4)),
        new DefaultHttpContent(Unpooled.copiedBuffer(new byte[] {1})),
        new DefaultLastHttpContent(),
        withTrailers,
        LastHttpContent.EMPTY_LAST_CONTENT,
        // subclasses of the exactly compared classes: only instanceof knows what they are
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK) {},
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x") {},
        new DefaultHttpContent(Unpooled.buffer(1)) {},
        new DefaultLastHttpContent(Unpooled.buffer(1)) {},
        // not HTTP messages at all
        Unpooled.buffer(2),
        "a string"));
    return messages;
  }

  @Test
  void everyAnswerIsInstanceofsAndTheSameObject() {
    for (Object m : samples()) {
      String what = m.getClass().getName();
      assertThat(HttpMessageKinds.asResponse(m)).as(what).isSameAs(m instanceof HttpResponse ? m : null);
      assertThat(HttpMessageKinds.asRequest(m)).as(what).isSameAs(m instanceof HttpRequest ? m : null);
      assertThat(HttpMessageKinds.asContent(m)).as(what).isSameAs(m instanceof HttpContent ? m : null);
      assertThat(HttpMessageKinds.asLast(m)).as(what).isSameAs(m instanceof LastHttpContent ? m : null);
      assertThat(HttpMessageKinds.isLast(m)).as(what).isEqualTo(m instanceof LastHttpContent);
    }
  }

  @Test
  void aFullMessageIsBothHeadAndLastContent() {
    DefaultFullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    messages.add(full);
    assertThat(HttpMessageKinds.asResponse(full)).isSameAs(full);
    assertThat(HttpMessageKinds.asContent(full)).isSameAs(full);
    assertThat(HttpMessageKinds.isLast(full)).isTrue();
  }
}
