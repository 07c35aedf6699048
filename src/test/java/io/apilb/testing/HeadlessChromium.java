package io.apilb.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code chromium} in headless mode, as a user's browser would see a page: the visible
 * DOM after rendering ({@code --dump-dom}) and a PNG screenshot. Every run gets a fresh profile
 * and nothing reaches the network but the page itself.
 */
public final class HeadlessChromium {
  private HeadlessChromium() {}

  /** Whether a chromium binary runs here. */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder(binary(), "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** The DOM of {@code url} after the page loaded, as HTML. */
  public static String dumpDom(String url, Path workDir) throws Exception {
    return new String(run(workDir, "--dump-dom", url), StandardCharsets.UTF_8);
  }

  /** Saves a screenshot of {@code url} to {@code png}. */
  public static void screenshot(String url, Path png, int width, int height, Path workDir) throws Exception {
    run(workDir, "--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
        "--hide-scrollbars", url);
    if (!Files.isRegularFile(png) || Files.size(png) == 0) {
      throw new AssertionError("chromium wrote no screenshot to " + png);
    }
  }

  /** The text a reader sees: tags removed, entities decoded, blanks collapsed. */
  public static String visibleText(String html) {
    String noStyle = html.replaceAll("(?s)<style.*?</style>", " ").replaceAll("(?s)<head.*?</head>", " ");
    return noStyle.replaceAll("<[^>]+>", " ").replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&").replaceAll("\\s+", " ").trim();
  }

  private static byte[] run(Path workDir, String... args) throws Exception {
    Path profile = Files.createTempDirectory(workDir, "chromium-profile");
    List<String> cmd = new ArrayList<>(List.of(binary(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(workDir.resolve("chromium.log").toFile()).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish: " + cmd);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("chromium exited " + p.exitValue() + ": " + Files.readString(workDir.resolve("chromium.log")));
    }
    return out;
  }

  private static String binary() {
    String override = System.getenv("APILB_CHROMIUM");
    return override != null && !override.isBlank() ? override : "chromium";
  }
}
