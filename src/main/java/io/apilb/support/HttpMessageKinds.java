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

  /**
   * Netty's message classes the proxy path carries, known by exact class; OTHER asks instanceof.
   * Compared with {@code ==}, not switched on: an enum switch reads javac's switch-map array on
   * every call, and this runs several times per message.
   */
  private enum Known { REQUEST, RESPONSE, CONTENT, LAST_CONTENT, OTHER }

  private static Known known(Object msg) {
    Class<?> c = msg.getClass();
    if (c == DefaultHttpContent.class) {
      return Known.CONTENT;
    }
    if (c == DefaultLastHttpContent.class || msg == LastHttpContent.EMPTY_LAST_CONTENT) {
      return Known.LAST_CONTENT;
    }
    if (c == DefaultHttpResponse.class) {
      return Known.RESPONSE;
    }
    return c == DefaultHttpRequest.class ? Known.REQUEST : Known.OTHER;
  }

  /** A message known as LAST_CONTENT, by a cast to its class (or the shared empty one itself). */
  private static LastHttpContent lastContent(Object msg) {
    return msg == LastHttpContent.EMPTY_LAST_CONTENT ? LastHttpContent.EMPTY_LAST_CONTENT : (DefaultLastHttpContent) msg;
  }

  /** The message as a response head, or null: a head, or head and content in one (a full response). */
  public static HttpResponse asResponse(Object msg) {
    Known k = known(msg);
    if (k == Known.RESPONSE) {
      return (DefaultHttpResponse) msg;
    }
    return k == Known.OTHER && msg instanceof HttpResponse r ? r : null;
  }

  /** The message as a request head, or null: a head, or head and content in one (a full request). */
  public static HttpRequest asRequest(Object msg) {
    Known k = known(msg);
    if (k == Known.REQUEST) {
      return (DefaultHttpRequest) msg;
    }
    return k == Known.OTHER && msg instanceof HttpRequest r ? r : null;
  }

  /** The message as content (a body part, or the end of the body), or null. */
  public static HttpContent asContent(Object msg) {
    Known k = known(msg);
    if (k == Known.CONTENT) {
      return (DefaultHttpContent) msg;
    }
    if (k == Known.LAST_CONTENT) {
      return lastContent(msg);
    }
    return k == Known.OTHER && msg instanceof HttpContent h ? h : null;
  }

  /** The message as the last content of a message (it may carry trailers), or null. */
  public static LastHttpContent asLast(Object msg) {
    Known k = known(msg);
    if (k == Known.LAST_CONTENT) {
      return lastContent(msg);
    }
    return k == Known.OTHER && msg instanceof LastHttpContent l ? l : null;
  }

  /** Whether the message ends its HTTP message (last content, or a full request or response). */
  public static boolean isLast(Object msg) {
    return asLast(msg) != null;
  }
}
