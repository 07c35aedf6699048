package io.apilb.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish");
    }
    return new Run(p.exitValue(), out);
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
