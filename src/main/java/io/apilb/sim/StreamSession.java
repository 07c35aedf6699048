package io.apilb.sim;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the simulated container saw of one exec, attach or port-forward session: the transport
 * and negotiated subprotocol, the command, stdin traffic and EOF, terminal resizes, the exit code,
 * and for port-forward the data streams (connections) opened. Thread-safe; updated on the
 * connection's event loop and read by tests.
 */
public final class StreamSession {
  private static final AtomicLong SEQUENCE = new AtomicLong();

  /** Order of creation across every simulated apiserver in this JVM. */
  private final long sequence = SEQUENCE.incrementAndGet();
  private final String subresource;
  private final String transport;
  private final String protocol;
  private final List<String> command;
  private final AtomicLong stdinBytes = new AtomicLong();
  private final AtomicLong outputBytes = new AtomicLong();
  private final AtomicInteger dataStreams = new AtomicInteger();
  private final List<String> resizes = new CopyOnWriteArrayList<>();
  private volatile boolean stdinClosed;
  private volatile Integer exitCode;
  private volatile boolean closed;

  StreamSession(String subresource, String transport, String protocol, List<String> command) {
    this.subresource = subresource;
    this.transport = transport;
    this.protocol = protocol;
    this.command = List.copyOf(command);
  }

  /** {@code exec}, {@code attach} or {@code portforward}. */
  /** Creation order across all simulated apiservers: a larger number is a later session. */
  public long sequence() {
    return sequence;
  }

  public String subresource() {
    return subresource;
  }

  /** {@code websocket} or {@code spdy} (port-forward over WebSocket tunnels SPDY: {@code websocket}). */
  public String transport() {
    return transport;
  }

  /** The negotiated subprotocol ({@code Sec-WebSocket-Protocol} or {@code X-Stream-Protocol-Version}). */
  public String protocol() {
    return protocol;
  }

  /** The exec command (empty for attach and port-forward). */
  public List<String> command() {
    return command;
  }

  /** Bytes received on stdin (port-forward: bytes received on data streams). */
  public long stdinBytes() {
    return stdinBytes.get();
  }

  /** Bytes written to stdout and stderr (port-forward: bytes echoed). */
  public long outputBytes() {
    return outputBytes.get();
  }

  /** Whether stdin reached EOF (v5 CLOSE signal, SPDY FIN on the stdin stream). */
  public boolean stdinClosed() {
    return stdinClosed;
  }

  /** Terminal sizes received on the resize channel, as {@code WIDTHxHEIGHT}. */
  public List<String> resizes() {
    return List.copyOf(resizes);
  }

  /** The command's exit code once it has exited, else null. */
  public Integer exitCode() {
    return exitCode;
  }

  /** Port-forward: data streams (one per forwarded TCP connection) opened so far. */
  public int dataStreams() {
    return dataStreams.get();
  }

  /** Whether the upgraded connection has closed. */
  public boolean closed() {
    return closed;
  }

  void addStdin(long n) {
    stdinBytes.addAndGet(n);
  }

  void addOutput(long n) {
    outputBytes.addAndGet(n);
  }

  void stdinEof() {
    stdinClosed = true;
  }

  void resized(int width, int height) {
    resizes.add(width + "x" + height);
  }

  void exited(int code) {
    exitCode = code;
  }

  void dataStreamOpened() {
    dataStreams.incrementAndGet();
  }

  void markClosed() {
    closed = true;
  }

  @Override
  public String toString() {
    return subresource + "/" + transport + "/" + protocol + " " + command + " stdin=" + stdinBytes + " eof=" + stdinClosed
        + " exit=" + exitCode + " closed=" + closed;
  }
}
