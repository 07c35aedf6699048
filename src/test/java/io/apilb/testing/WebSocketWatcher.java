package io.apilb.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link TestWatcher} over WebSocket, as fabric8 watches: the JDK WebSocket client on
 * {@code wss://…/api/v1/namespaces/<ns>/configmaps?watch=true&resourceVersion=…}; one message per
 * event (text JSON, or binary protobuf WatchEvent when {@code protobuf}). A Close with 1000 is a
 * clean end; any other close code, or {@code onError} (the connection broke without a Close), is
 * an error, and the bytes of an unfinished message at the end are a partial event.
 *
 * <p>The JDK client does not expose handshake response headers, so {@link #servedBy()} stays
 * empty: count WebSocket watches per apiserver with
 * {@code SimulatedApiserver.watchCount(WatchFraming.WEBSOCKET)}.
 */
public final class WebSocketWatcher extends TestWatcher {
  private final HttpClient client;
  private final URI base;
  private volatile WebSocket current;

  /** @param client an HTTP/1.1 client trusting the server; @param base {@code wss://host:port} */
  public WebSocketWatcher(HttpClient client, URI base, String namespace, boolean protobuf, long fromRv) {
    super((protobuf ? "ws-protobuf" : "ws-json") + "-watcher", namespace, protobuf, fromRv);
    this.client = client;
    this.base = base;
  }

  @Override
  protected boolean watchOnce(long fromRv) throws InterruptedException {
    CompletableFuture<Void> ended = new CompletableFuture<>();
    WebSocket.Listener listener = new WebSocket.Listener() {
      private final ByteArrayOutputStream message = new ByteArrayOutputStream();

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        message.writeBytes(data.toString().getBytes(StandardCharsets.UTF_8));
        return complete(ws, last, false);
      }

      @Override
      public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        message.writeBytes(b);
        return complete(ws, last, true);
      }

      private CompletionStage<?> complete(WebSocket ws, boolean last, boolean binary) {
        if (last) {
          byte[] event = message.toByteArray();
          message.reset();
          try {
            if (binary != protobuf) {
              throw new IOException((binary ? "binary" : "text") + " message on a "
                  + (protobuf ? "protobuf" : "JSON") + " watch");
            }
            onEvent(protobuf ? WatchEventDecoder.protobuf(event) : WatchEventDecoder.json(event));
          } catch (IOException e) {
            WebSocketWatcher.this.onError("undecodable event: " + e);
          }
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        endWith(statusCode == WebSocket.NORMAL_CLOSURE, "close " + statusCode + " " + reason);
        return null; // the client answers the Close
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        endWith(false, "onError " + error);
      }

      private void endWith(boolean clean, String what) {
        if (message.size() > 0) {
          onPartialEvent(message.size());
        }
        if (!clean) {
          WebSocketWatcher.this.onError(what);
        } else if (message.size() == 0) {
          onCleanEnd();
        }
        ended.complete(null);
      }
    };
    URI uri = base.resolve(path(fromRv));
    try {
      current = client.newWebSocketBuilder().header("Authorization", "Bearer test-token").header("Accept", accept())
          .connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, listener).get(15, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      onRejectedStart(String.valueOf(e.getCause() == null ? e : e.getCause()));
      return false;
    }
    try {
      ended.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      current = null;
    }
    return true;
  }

  @Override
  protected void abortCurrent() {
    WebSocket ws = current;
    if (ws != null) {
      ws.abort();
    }
  }
}
