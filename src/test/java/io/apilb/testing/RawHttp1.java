package io.apilb.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/** A raw HTTP/1.1 client over a TLS socket: writes any bytes, parses what comes back. */
public final class RawHttp1 {
  private RawHttp1() {}

  /** How the connection was when reading stopped. */
  public enum End { CLOSED, RESET, OPEN }

  /** One parsed response; {@code whole}: its body was framed and arrived completely (a chunked one with its last chunk). */
  public record Response(int status, Map<String, String> headers, String body, boolean whole, boolean chunked) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public boolean isStatusJson() {
      return "application/json".equals(header("content-type")) && body.contains("\"kind\":\"Status\"")
          && body.contains("\"code\":" + status);
    }
  }

  public record Result(List<Response> responses, End end, String raw) {
    public Response first() {
      return responses.isEmpty() ? null : responses.get(0);
    }

    @Override
    public String toString() {
      return end + " after " + raw.length() + " bytes: " + (raw.length() > 600 ? raw.substring(0, 600) + "…" : raw);
    }
  }

  /** Writes {@code pieces} (pausing {@code pauseMillis} between them) and ignores a write failure. */
  public static void write(SSLSocket s, List<byte[]> pieces, long pauseMillis) {
    try {
      OutputStream out = s.getOutputStream();
      for (int i = 0; i < pieces.size(); i++) {
        if (i > 0 && pauseMillis > 0) {
          Thread.sleep(pauseMillis);
        }
        out.write(pieces.get(i));
        out.flush();
      }
    } catch (IOException e) {
      // apilb may close early (a 400 before the body ends): what it sent is still read
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static Result exchange(SSLSocket s, String request, int responses, Duration bound) {
    write(s, List.of(request.getBytes(StandardCharsets.ISO_8859_1)), 0);
    return read(s, responses, bound);
  }

  /** Reads until the peer closes, {@code wanted} whole responses arrived, or {@code bound} passed. */
  public static Result read(SSLSocket s, int wanted, Duration bound) {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + bound.toNanos();
    End end = End.OPEN;
    byte[] buf = new byte[16384];
    try {
      InputStream in = s.getInputStream();
      while (System.nanoTime() < deadline) {
        s.setSoTimeout((int) Math.max(1, Math.min(250, (deadline - System.nanoTime()) / 1_000_000)));
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          continue;
        }
        if (n < 0) {
          end = End.CLOSED;
          break;
        }
        raw.write(buf, 0, n);
        List<Response> parsed = parse(raw.toString(StandardCharsets.ISO_8859_1));
        if (wanted > 0 && parsed.size() >= wanted && parsed.get(wanted - 1).whole()) {
          break;
        }
      }
    } catch (SocketException e) {
      end = End.RESET;
    } catch (IOException e) {
      end = End.RESET; // TLS alert or similar: the connection is gone
    }
    String text = raw.toString(StandardCharsets.ISO_8859_1);
    return new Result(parse(text), end, text);
  }

  /** Parses consecutive responses; the last may be partial ({@code whole == false}). */
  public static List<Response> parse(String text) {
    List<Response> out = new ArrayList<>();
    int pos = 0;
    while (pos < text.length()) {
      int headEnd = text.indexOf("\r\n\r\n", pos);
      if (headEnd < 0 || !text.startsWith("HTTP/1.", pos)) {
        break;
      }
      String[] lines = text.substring(pos, headEnd).split("\r\n");
      String[] statusLine = lines[0].split(" ", 3);
      int status;
      try {
        status = Integer.parseInt(statusLine[1]);
      } catch (RuntimeException e) {
        break;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int bodyStart = headEnd + 4;
      if (status >= 100 && status < 200) { // interim: no body, the final response follows
        pos = bodyStart;
        continue;
      }
      boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
      if (chunked) {
        StringBuilder body = new StringBuilder();
        int p = bodyStart;
        boolean whole = false;
        while (true) {
          int eol = text.indexOf("\r\n", p);
          if (eol < 0) {
            break;
          }
          int size;
          try {
            size = Integer.parseInt(text.substring(p, eol).split(";")[0].trim(), 16);
          } catch (RuntimeException e) {
            break;
          }
          if (size == 0) {
            int trailersEnd = text.indexOf("\r\n\r\n", eol);
            whole = trailersEnd >= 0 || text.startsWith("\r\n", eol + 2);
            p = whole ? (text.startsWith("\r\n", eol + 2) ? eol + 4 : trailersEnd + 4) : text.length();
            break;
          }
          if (eol + 2 + size + 2 > text.length()) {
            body.append(text, eol + 2, Math.min(text.length(), eol + 2 + size));
            p = text.length();
            break;
          }
          body.append(text, eol + 2, eol + 2 + size);
          p = eol + 2 + size + 2;
        }
        out.add(new Response(status, headers, body.toString(), whole, true));
        if (!whole) {
          break;
        }
        pos = p;
      } else if (headers.containsKey("content-length")) {
        int len = Integer.parseInt(headers.get("content-length"));
        boolean whole = bodyStart + len <= text.length();
        out.add(new Response(status, headers, text.substring(bodyStart, Math.min(text.length(), bodyStart + len)), whole, false));
        if (!whole) {
          break;
        }
        pos = bodyStart + len;
      } else {
        // close-delimited (or bodiless): all that follows
        out.add(new Response(status, headers, text.substring(bodyStart), status == 204 || status == 304, false));
        break;
      }
    }
    return out;
  }
}
