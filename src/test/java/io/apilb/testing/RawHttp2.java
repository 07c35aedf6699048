package io.apilb.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/**
 * A raw HTTP/2 client over a TLS socket (ALPN h2): writes any frame sequence (header blocks are
 * HPACK literals without indexing, so names and values may be anything) and records what comes
 * back per stream. Written by hand so that nothing on the client side validates or repairs.
 */
public final class RawHttp2 implements AutoCloseable {
  public static final int DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PING = 6,
      GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
  public static final int END_STREAM = 1, END_HEADERS = 4;

  /** What one stream got back. */
  public static final class StreamResult {
    public Http2Headers headers;
    public final ByteArrayOutputStream data = new ByteArrayOutputStream();
    public boolean endStream;
    public Long rstCode;

    public boolean ended() {
      return endStream || rstCode != null;
    }

    public String status() {
      return headers == null ? null : String.valueOf(headers.status());
    }

    public String body() {
      return data.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "status=" + status() + " end=" + endStream + " rst=" + rstCode + " body=" + body();
    }
  }

  private final SSLSocket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
  public final Map<Integer, StreamResult> streams = new HashMap<>();
  public Long goAwayCode;
  public boolean closed;
  /** A write failed (apilb closed or reset); what it sent before is still read. */
  public boolean writeFailed;
  private ByteArrayOutputStream pendingBlock;
  private int pendingStream;

  public RawHttp2(SSLSocket socket) throws IOException {
    if (!"h2".equals(socket.getApplicationProtocol())) {
      throw new IOException("ALPN did not select h2: " + socket.getApplicationProtocol());
    }
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(socket.getInputStream());
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    frame(SETTINGS, 0, 0, new byte[0]);
  }

  /** One frame, written and flushed; a write after apilb closed is ignored (reading tells). */
  public void frame(int type, int flags, int stream, byte[] payload) {
    write(type, flags, stream, payload, true);
  }

  /**
   * A request's HEADERS and its RST_STREAM in one write, as the rapid-reset attack sends them
   * (CVE-2023-44487): both usually arrive in the same read.
   */
  public void headersThenReset(int stream, List<Map.Entry<String, String>> fields, int code) {
    write(HEADERS, END_HEADERS | END_STREAM, stream, hpack(fields), false);
    write(RST_STREAM, 0, stream, int32(code), true);
  }

  private void write(int type, int flags, int stream, byte[] payload, boolean flush) {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) ((stream >>> 24) & 0x7f);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    try {
      out.write(f);
      if (flush) {
        out.flush();
      }
    } catch (IOException e) {
      writeFailed = true;
    }
  }

  public void headers(int stream, List<Map.Entry<String, String>> fields, boolean endStream) {
    frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, hpack(fields));
  }

  public void data(int stream, byte[] bytes, boolean endStream) {
    frame(DATA, endStream ? END_STREAM : 0, stream, bytes);
  }

  public void rst(int stream, int code) {
    frame(RST_STREAM, 0, stream, int32(code));
  }

  public static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  /** HPACK: every field a literal without indexing, plain (no Huffman) strings. */
  public static byte[] hpack(List<Map.Entry<String, String>> fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Map.Entry<String, String> e : fields) {
      b.write(0);
      string(b, e.getKey().getBytes(StandardCharsets.ISO_8859_1));
      string(b, e.getValue().getBytes(StandardCharsets.ISO_8859_1));
    }
    return b.toByteArray();
  }

  private static void string(ByteArrayOutputStream b, byte[] s) {
    int len = s.length;
    if (len < 127) {
      b.write(len);
    } else {
      b.write(127);
      len -= 127;
      while (len >= 128) {
        b.write((len & 0x7f) | 0x80);
        len >>>= 7;
      }
      b.write(len);
    }
    b.writeBytes(s);
  }

  /** Reads frames until every one of {@code ids} ended, the connection closed, or {@code bound} passed. */
  public boolean awaitStreams(Collection<Integer> ids, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!closed && System.nanoTime() < deadline) {
      if (ids.stream().allMatch(id -> streams.containsKey(id) && streams.get(id).ended())) {
        return true;
      }
      readFrame(deadline);
    }
    return ids.stream().allMatch(id -> streams.containsKey(id) && streams.get(id).ended());
  }

  /** Reads until apilb closes the connection or {@code bound} passes; true if it closed. */
  public boolean awaitClose(Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!closed && System.nanoTime() < deadline) {
      readFrame(deadline);
    }
    return closed;
  }

  private void readFrame(long deadline) {
    try {
      socket.setSoTimeout((int) Math.max(1, Math.min(250, (deadline - System.nanoTime()) / 1_000_000)));
      int b0 = in.read();
      if (b0 < 0) {
        closed = true;
        return;
      }
      socket.setSoTimeout(2_000); // the rest of a started frame comes at once
      byte[] head = new byte[8];
      in.readFully(head);
      int len = (b0 << 16) | ((head[0] & 0xff) << 8) | (head[1] & 0xff);
      int type = head[2] & 0xff;
      int flags = head[3] & 0xff;
      int stream = ((head[4] & 0x7f) << 24) | ((head[5] & 0xff) << 16) | ((head[6] & 0xff) << 8) | (head[7] & 0xff);
      byte[] payload = new byte[len];
      in.readFully(payload);
      onFrame(type, flags, stream, payload);
    } catch (SocketTimeoutException e) {
      // nothing yet
    } catch (EOFException e) {
      closed = true;
    } catch (IOException e) {
      closed = true; // reset or TLS alert
    }
  }

  private void onFrame(int type, int flags, int stream, byte[] p) throws IOException {
    StreamResult s = stream == 0 ? null : streams.computeIfAbsent(stream, k -> new StreamResult());
    switch (type) {
      case DATA -> {
        int pad = (flags & 0x8) != 0 ? p[0] & 0xff : 0;
        int off = (flags & 0x8) != 0 ? 1 : 0;
        s.data.write(p, off, p.length - off - pad);
        if (p.length > 0) { // give the window back, connection and stream
          frame(WINDOW_UPDATE, 0, 0, int32(p.length));
          frame(WINDOW_UPDATE, 0, stream, int32(p.length));
        }
        s.endStream |= (flags & END_STREAM) != 0;
      }
      case HEADERS, CONTINUATION -> {
        int off = 0;
        int end = p.length;
        if (type == HEADERS) {
          pendingBlock = new ByteArrayOutputStream();
          pendingStream = stream;
          if ((flags & 0x8) != 0) {
            off = 1;
            end -= p[0] & 0xff;
          }
          if ((flags & 0x20) != 0) {
            off += 5;
          }
          s.endStream |= (flags & END_STREAM) != 0;
        }
        pendingBlock.write(p, off, end - off);
        if ((flags & END_HEADERS) != 0) {
          ByteBuf block = Unpooled.wrappedBuffer(pendingBlock.toByteArray());
          try {
            Http2Headers h = decoder.decodeHeaders(pendingStream, block);
            StreamResult target = streams.get(pendingStream);
            if (target.headers == null || !String.valueOf(h.status()).startsWith("1")) {
              target.headers = target.headers == null ? h : target.headers; // trailers keep the status
            }
          } catch (Http2Exception e) {
            throw new IOException("undecodable header block from apilb", e);
          } finally {
            block.release();
          }
        }
      }
      case RST_STREAM -> s.rstCode = ((long) (p[0] & 0xff) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
      case SETTINGS -> {
        if ((flags & 1) == 0) {
          frame(SETTINGS, 1, 0, new byte[0]);
        }
      }
      case PING -> {
        if ((flags & 1) == 0) {
          frame(PING, 1, 0, p);
        }
      }
      case GOAWAY -> goAwayCode = ((long) (p[4] & 0xff) << 24) | ((p[5] & 0xff) << 16) | ((p[6] & 0xff) << 8) | (p[7] & 0xff);
      default -> { }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // gone already
    }
  }
}
