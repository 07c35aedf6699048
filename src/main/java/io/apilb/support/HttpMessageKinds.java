package io.apilb.support;

import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What an HTTP message object is (a response head, content, the last content), decided for the
 * few Netty classes every proxied request carries by comparing the exact class, and by
 * {@code instanceof} only for the rest.
 *
 * <p>Why not plain {@code instanceof}: where the JIT cannot decide a check against an interface
 * from the call site's own profile, it asks the class's one-entry cache of its last matched
 * interface, shared by every thread, and a match that misses it rewrites it. The proxy path asks
 * the same message classes about
 * several interfaces in turn (a response head is an {@code HttpObject}, then an
 * {@code HttpResponse}; content is {@code HttpContent}, then {@code LastHttpContent}), so each
 * request rewrote those caches several times, from both event loops, and the cache line travelled
 * between cores (JDK-8180450, fixed in JDK 23). A profile of the bench placed most of
 * {@code AttemptRelay.onBackendMessage}'s own time on such a check. An exact class comparison, and
 * a cast to a class, read no such cache.
 */
public final class HttpMessageKinds {
  private HttpMessageKinds() {}

  /** The message as a response head, or null: a head, or head and content in one (a full response). */
  public static HttpResponse asResponse(Object msg) {
    Class<?> c = msg.getClass();
    if (c == DefaultHttpResponse.class) {
      return (DefaultHttpResponse) msg;
    }
    if (c == DefaultHttpContent.class || c == DefaultLastHttpContent.class || msg == LastHttpContent.EMPTY_LAST_CONTENT
        || c == DefaultHttpRequest.class) {
      return null;
    }
    return msg instanceof HttpResponse r ? r : null;
  }

  /** The message as a request head, or null: a head, or head and content in one (a full request). */
  public static HttpRequest asRequest(Object msg) {
    Class<?> c = msg.getClass();
    if (c == DefaultHttpRequest.class) {
      return (DefaultHttpRequest) msg;
    }
    if (c == DefaultHttpContent.class || c == DefaultLastHttpContent.class || msg == LastHttpContent.EMPTY_LAST_CONTENT
        || c == DefaultHttpResponse.class) {
      return null;
    }
    return msg instanceof HttpRequest r ? r : null;
  }

  /** The message as content (a body part, or the end of the body), or null. */
  public static HttpContent asContent(Object msg) {
    Class<?> c = msg.getClass();
    if (c == DefaultHttpContent.class) {
      return (DefaultHttpContent) msg;
    }
    if (c == DefaultLastHttpContent.class) {
      return (DefaultLastHttpContent) msg;
    }
    if (msg == LastHttpContent.EMPTY_LAST_CONTENT) {
      return LastHttpContent.EMPTY_LAST_CONTENT;
    }
    if (c == DefaultHttpResponse.class || c == DefaultHttpRequest.class) {
      return null;
    }
    return msg instanceof HttpContent h ? h : null;
  }

  /** The message as the last content of a message (it may carry trailers), or null. */
  public static LastHttpContent asLast(Object msg) {
    Class<?> c = msg.getClass();
    if (c == DefaultLastHttpContent.class) {
      return (DefaultLastHttpContent) msg;
    }
    if (msg == LastHttpContent.EMPTY_LAST_CONTENT) {
      return LastHttpContent.EMPTY_LAST_CONTENT;
    }
    if (c == DefaultHttpContent.class || c == DefaultHttpResponse.class || c == DefaultHttpRequest.class) {
      return null;
    }
    return msg instanceof LastHttpContent l ? l : null;
  }

  /** Whether the message ends its HTTP message (last content, or a full request or response). */
  public static boolean isLast(Object msg) {
    return asLast(msg) != null;
  }
}
