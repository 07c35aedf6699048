package io.apilb.testing;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Response heads as a backend's HTTP codec would deliver them. */
public final class BackendResponses {
  private BackendResponses() {}

  /** A head with {@code status} and header lines ("Name: value"). */
  public static HttpResponse head(int status, String... headerLines) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    for (String line : headerLines) {
      int colon = line.indexOf(':');
      r.headers().add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
    }
    return r;
  }
}
