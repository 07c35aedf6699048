package io.apilb.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A {@link TestWatcher} over HTTP (the JDK client: HTTP/2 when the client and server agree), in
 * JSON ({@code application/json;stream=watch}: one object per line) or protobuf (client-go's
 * Accept; {@code application/vnd.kubernetes.protobuf;stream=watch}: a 4-byte big-endian length,
 * then a WatchEvent). End of stream between events is a clean end; an IOException (an HTTP/2
 * RST_STREAM, a broken connection) or an undecodable event is an error.
 *
 * <pre>{@code
 * TestWatcher w = new HttpWatcher(cp.httpClient(HttpClient.Version.HTTP_2), cp.uri("/"), "default", true,
 *     cp.cluster.resourceVersion()).start();
 * }</pre>
 */
public final class HttpWatcher extends TestWatcher {
  private static final String PROTOBUF_STREAM = "application/vnd.kubernetes.protobuf;stream=watch";
  private final HttpClient client;
  private final URI base;
  private volatile InputStream current;

  /** @param base the apiserver (or apilb) URL; the watch path is resolved against it */
  public HttpWatcher(HttpClient client, URI base, String namespace, boolean protobuf, long fromRv) {
    super((protobuf ? "protobuf" : "json") + "-watcher", namespace, protobuf, fromRv);
    this.client = client;
    this.base = base;
  }

  @Override
  protected boolean watchOnce(long fromRv) throws InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(base.resolve(path(fromRv)))
        .header("Authorization", "Bearer test-token").header("Accept", accept())
        .timeout(Duration.ofSeconds(15)).GET().build();
    HttpResponse<InputStream> r;
    try {
      r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      onRejectedStart(e.toString());
      return false;
    }
    try (InputStream in = r.body()) {
      current = in;
      if (r.statusCode() != 200) {
        onRejectedStart("HTTP " + r.statusCode() + " " + new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        return false;
      }
      onServedBy(r.headers().firstValue("X-Sim-Backend").orElse("?"));
      String type = r.headers().firstValue("Content-Type").orElse("");
      boolean framedProtobuf = type.replace(" ", "").startsWith(PROTOBUF_STREAM);
      if (framedProtobuf != protobuf) {
        onError("unexpected Content-Type " + type);
        return true;
      }
      if (protobuf ? readProtobuf(in) : readJson(in)) {
        onCleanEnd();
      }
    } catch (IOException e) {
      onError("stream error: " + e);
    } finally {
      current = null;
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    return true;
  }

  /** Reads length-delimited events until the end; true: it ended at a boundary. */
  private boolean readProtobuf(InputStream in) throws IOException {
    while (running()) {
      byte[] len = in.readNBytes(4);
      if (len.length == 0) {
        return true;
      }
      if (len.length < 4) {
        onPartialEvent(len.length);
        return false;
      }
      int n = ((len[0] & 0xff) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
      if (n < 0 || n > (16 << 20)) {
        throw new IOException("implausible protobuf frame length " + n);
      }
      byte[] event = in.readNBytes(n);
      if (event.length < n) {
        onPartialEvent(4 + event.length);
        return false;
      }
      onEvent(WatchEventDecoder.protobuf(event));
    }
    return true;
  }

  /** Reads newline-terminated JSON events until the end; true: it ended at a boundary. */
  private boolean readJson(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (running()) {
      int n = in.read(buf);
      if (n < 0) {
        if (line.size() > 0) {
          onPartialEvent(line.size());
          return false;
        }
        return true;
      }
      for (int i = 0; i < n; i++) {
        if (buf[i] == '\n') {
          onEvent(WatchEventDecoder.json(line.toByteArray()));
          line.reset();
        } else {
          line.write(buf[i]);
        }
      }
    }
    return true;
  }

  @Override
  protected void abortCurrent() {
    InputStream in = current;
    if (in != null) {
      try {
        in.close(); // HTTP/2: RST_STREAM(CANCEL)
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
