package io.apilb.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The simulated container's process for exec and attach: a tiny built-in command runner. All
 * methods run on the connection's event loop.
 *
 * <ul>
 *   <li>{@code echo ARGS...}: prints the arguments and exits 0;
 *   <li>{@code cat}: copies stdin to stdout, exits 0 at stdin EOF (attach behaves like {@code cat});
 *   <li>{@code exit N}, {@code true}, {@code false}: exit with that code;
 *   <li>{@code sleep SECONDS}: exits 0 later;
 *   <li>{@code sh -c "SCRIPT"}: a script of {@code ;}-separated {@code echo}, {@code exit}, {@code true},
 *       {@code false}, or a single {@code cat};
 *   <li>anything else prints an error to stderr and exits 127.
 * </ul>
 */
final class ExecCommand {
  /** Where the process's output goes. The transport owns the buffers passed to it. */
  interface Io {
    void stdout(ByteBuf data);

    void stderr(ByteBuf data);

    /** The process exited; called once, after all output. */
    void exit(int code);
  }

  private final List<String> argv;
  private final StreamSession record;
  private Io io;
  private EventExecutor executor;
  private boolean catting;
  private boolean exited;
  private ScheduledFuture<?> timer;

  ExecCommand(List<String> argv, StreamSession record) {
    this.argv = argv;
    this.record = record;
  }

  /** The attach target: the container's main process, which echoes stdin like {@code cat}. */
  static ExecCommand attach(StreamSession record) {
    return new ExecCommand(List.of("cat"), record);
  }

  void start(EventExecutor executor, Io io) {
    this.executor = executor;
    this.io = io;
    List<String> args = argv;
    if (args.size() == 3 && (args.get(0).equals("sh") || args.get(0).equals("/bin/sh")) && args.get(1).equals("-c")) {
      runScript(args.get(2));
      return;
    }
    run(args, true);
  }

  private void runScript(String script) {
    String[] parts = script.split(";");
    for (String part : parts) {
      List<String> words = words(part);
      if (words.isEmpty()) {
        continue;
      }
      if (words.get(0).equals("cat") && parts.length == 1) {
        run(words, true);
        return;
      }
      if (!run(words, false)) {
        return;
      }
    }
    exit(0);
  }

  /** Runs one command; returns true when it completed with 0 and {@code last} is false. */
  private boolean run(List<String> words, boolean last) {
    if (words.isEmpty()) {
      exit(0);
      return false;
    }
    String cmd = words.get(0);
    switch (cmd) {
      case "echo" -> {
        out(String.join(" ", words.subList(1, words.size())) + "\n");
        if (last) {
          exit(0);
        }
        return true;
      }
      case "true" -> {
        if (last) {
          exit(0);
        }
        return true;
      }
      case "false" -> {
        exit(1);
        return false;
      }
      case "exit" -> {
        int code;
        try {
          code = words.size() > 1 ? Integer.parseInt(words.get(1)) & 0xff : 0;
        } catch (NumberFormatException e) {
          code = 2;
        }
        exit(code);
        return false;
      }
      case "cat" -> {
        catting = true;
        if (record.stdinClosed()) {
          exit(0);
        }
        return false;
      }
      case "sleep" -> {
        long ms;
        try {
          ms = (long) (Double.parseDouble(words.size() > 1 ? words.get(1) : "0") * 1000);
        } catch (NumberFormatException e) {
          ms = 0;
        }
        timer = executor.schedule(() -> exit(0), ms, TimeUnit.MILLISECONDS);
        return false;
      }
      default -> {
        io.stderr(Unpooled.copiedBuffer("sh: " + cmd + ": not found\n", StandardCharsets.UTF_8));
        exit(127);
        return false;
      }
    }
  }

  private static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    for (String w : s.trim().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w.replace("\"", "").replace("'", ""));
      }
    }
    return out;
  }

  private void out(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    record.addOutput(b.length);
    io.stdout(Unpooled.wrappedBuffer(b));
  }

  /** Bytes from stdin; takes ownership of {@code data}. */
  void stdin(ByteBuf data) {
    record.addStdin(data.readableBytes());
    if (catting && !exited) {
      record.addOutput(data.readableBytes());
      io.stdout(data);
    } else {
      data.release();
    }
  }

  void stdinEof() {
    if (record.stdinClosed()) {
      return;
    }
    record.stdinEof();
    if (catting) {
      exit(0);
    }
  }

  void resize(int width, int height) {
    record.resized(width, height);
  }

  /** The connection went away: stop without output. */
  void abort() {
    exited = true;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private void exit(int code) {
    if (exited) {
      return;
    }
    exited = true;
    record.exited(code);
    io.exit(code);
  }

  /** The v4/v5 error-channel payload for an exit code (a metav1.Status). */
  static byte[] exitStatus(List<String> command, int code) {
    var s = KubeJson.F.objectNode();
    s.putObject("metadata");
    if (code == 0) {
      s.put("status", "Success");
    } else {
      s.put("status", "Failure").put("message", "command terminated with non-zero exit code: error executing command "
          + command + ", exit code " + code).put("reason", "NonZeroExitCode");
      s.putObject("details").putArray("causes").addObject().put("reason", "ExitCode").put("message",
          Integer.toString(code));
    }
    return KubeJson.bytes(s);
  }

  /** Parses a resize message ({@code {"Width":80,"Height":24}}); null if malformed. */
  static int[] parseResize(String json) {
    try {
      var n = KubeJson.parse(json.getBytes(StandardCharsets.UTF_8));
      return new int[] {n.path("Width").asInt(), n.path("Height").asInt()};
    } catch (RuntimeException e) {
      return null;
    }
  }
}
