package io.apilb.testing;

import io.apilb.config.ProxyConfig;
import io.apilb.frontend.http1.Http1ConnectionHandler;
import io.apilb.proxy.ProxyContext;
import io.apilb.support.HandlerNames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.flow.FlowControlHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An HTTP/1.1 client connection to apilb on an {@link EmbeddedChannel}: the pipeline
 * {@code AlpnNegotiationHandler} installs after "http/1.1" (codec, expect-continue, flow control,
 * connection handler, auto-read off), fed with raw request text; what apilb wrote back is
 * collected as text and parsed into responses.
 */
public final class Http1Client {
  /** One response as the client read it. {@code complete}: its whole body arrived. */
  public record Response(int status, HttpHeaders headers, String body, boolean complete) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  public final EmbeddedChannel channel;
  private final StringBuilder received = new StringBuilder();

  private Http1Client(EmbeddedChannel channel) {
    this.channel = channel;
  }

  public static Http1Client connect(ProxyContext px) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAutoRead(false);
    ProxyConfig proxy = px.config();
    ch.pipeline()
        .addLast(HandlerNames.HTTP1_CODEC, new HttpServerCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(proxy.maxInitialLineLength())
            .setMaxHeaderSize(proxy.maxHeaderSize())
            .setMaxChunkSize(65536)))
        .addLast(HandlerNames.HTTP1_EXPECT_CONTINUE, new HttpServerExpectContinueHandler())
        .addLast(HandlerNames.FLOW_CONTROL, new FlowControlHandler())
        .addLast(HandlerNames.HTTP1_CONNECTION, new Http1ConnectionHandler(() -> px));
    return new Http1Client(ch);
  }

  /** The client sends {@code raw} (request text, CRLFs included). */
  public Http1Client send(String raw) {
    channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
    return this;
  }

  /** Everything apilb wrote to this client so far, as text. */
  public String received() {
    channel.runPendingTasks();
    ByteBuf b;
    while ((b = channel.readOutbound()) != null) {
      received.append(b.toString(StandardCharsets.UTF_8));
      b.release();
    }
    return received.toString();
  }

  /** The responses received so far (the last one possibly incomplete). */
  public List<Response> responses() {
    return parse(received());
  }

  public Response response(int i) {
    return responses().get(i);
  }

  public boolean isOpen() {
    channel.runPendingTasks();
    return channel.isOpen();
  }

  public void close() {
    channel.finishAndReleaseAll();
  }

  /** Request text: {@code method uri HTTP/1.1}, {@code Host}, extra header lines, and a body with Content-Length. */
  public static String request(String method, String uri, String... headerLines) {
    StringBuilder b = new StringBuilder(method).append(' ').append(uri).append(" HTTP/1.1\r\nHost: apilb\r\n");
    for (String h : headerLines) {
      b.append(h).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  public static String get(String uri, String... headerLines) {
    return request("GET", uri, headerLines);
  }

  /** A request head announcing {@code contentLength} body bytes (the body is sent separately). */
  public static String postHead(String uri, int contentLength, String... headerLines) {
    String[] all = new String[headerLines.length + 1];
    all[0] = "Content-Length: " + contentLength;
    System.arraycopy(headerLines, 0, all, 1, headerLines.length);
    return request("POST", uri, all);
  }

  static List<Response> parse(String text) {
    List<Response> out = new ArrayList<>();
    int pos = 0;
    while (pos < text.length()) {
      int headEnd = text.indexOf("\r\n\r\n", pos);
      if (headEnd < 0) {
        break;
      }
      String[] lines = text.substring(pos, headEnd).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      HttpHeaders headers = new DefaultHttpHeaders();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.add(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
      }
      pos = headEnd + 4;
      if (status == 101) {
        out.add(new Response(status, headers, "", true));
        break; // raw bytes follow
      }
      StringBuilder body = new StringBuilder();
      boolean complete;
      if (headers.contains("content-length")) {
        int n = Integer.parseInt(headers.get("content-length"));
        complete = pos + n <= text.length();
        body.append(text, pos, Math.min(text.length(), pos + n));
        pos = Math.min(text.length(), pos + n);
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        complete = false;
        while (true) {
          int sizeEnd = text.indexOf("\r\n", pos);
          if (sizeEnd < 0) {
            pos = text.length();
            break;
          }
          int size = Integer.parseInt(text.substring(pos, sizeEnd).trim(), 16);
          if (size == 0) {
            complete = text.startsWith("\r\n", sizeEnd + 2);
            pos = complete ? sizeEnd + 4 : text.length();
            break;
          }
          int dataEnd = Math.min(text.length(), sizeEnd + 2 + size);
          body.append(text, sizeEnd + 2, dataEnd);
          pos = Math.min(text.length(), dataEnd + 2);
        }
      } else {
        complete = true; // no body
      }
      out.add(new Response(status, headers, body.toString(), complete));
    }
    return out;
  }
}
