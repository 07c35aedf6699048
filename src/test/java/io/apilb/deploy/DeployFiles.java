package io.apilb.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared helpers for the tests of the deployment files (systemd unit, container, manifests, docs). */
final class DeployFiles {
  private DeployFiles() {}

  /** The project directory (surefire and failsafe set {@code basedir}). */
  static Path project() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
  }

  static Path file(String relative) {
    return project().resolve(relative);
  }

  static String read(String relative) throws IOException {
    return Files.readString(file(relative), StandardCharsets.UTF_8);
  }

  /** Result of a finished process, stdout and stderr merged. */
  record Run(int exitCode, String output) {}

  static Run run(Path workDir, String... command) throws IOException, InterruptedException {
    return run(workDir, Duration.ofSeconds(60), Map.of(), command);
  }

  /**
   * Runs {@code command} in {@code workDir} with {@code env} added to this JVM's environment, less
   * its {@code APILB_*} variables (each test says which it means). The output goes to a file, so
   * a process that hangs fails after {@code limit} instead of blocking a read of its output; it
   * is stopped with what it started.
   */
  static Run run(Path workDir, Duration limit, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("apilb-test-run-", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("APILB_"));
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in " + limit.toSeconds() + " s");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Whether {@code command --version} runs. */
  static boolean available(String command) {
    try {
      return run(Path.of("."), command, "--version").exitCode() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
