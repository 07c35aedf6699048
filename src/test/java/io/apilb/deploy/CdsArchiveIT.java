package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.testing.ControlPlaneFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/apilb cds-train} with the real JVM: the training's class list and the static dump
 * make an archive that a JVM with the same options maps with {@code -Xshare:on} (which, unlike the
 * launcher's {@code -Xshare:auto}, refuses to start rather than silently ignore an archive it
 * cannot use), and apilb's own classes then come from it. LauncherTest covers the launcher's
 * decisions with a stand-in java; this is the one test that the JVM accepts what it is given.
 */
class CdsArchiveIT {
  /** The options of both the training and the check: the archive is only valid for the same ones. */
  private static final String OPTS = "-XX:+UseSerialGC -Xmx64m -XX:TieredStopAtLevel=1";

  @TempDir Path tmp;
  private final Map<Process, Path> outputs = new java.util.HashMap<>();

  @Test
  void theTrainedStaticArchiveMapsAndHoldsApilbsClasses() throws Exception {
    Path built = DeployFiles.file("target/apilb.jar");
    assumeTrue(Files.isRegularFile(built), "target/apilb.jar is made by `mvn package`, before the ITs");
    // a copy newer than the sources, so the launcher never rebuilds it from under the test
    Path jar = Files.copy(built, tmp.resolve("apilb.jar"), StandardCopyOption.REPLACE_EXISTING);
    Path archive = tmp.resolve("image/apilb.jsa");

    try (ControlPlaneFixture cp = ControlPlaneFixture.start(1)) {
      Process train = process(Map.of("APILB_JAR", jar.toString(), "APILB_CDS_ARCHIVE", archive.toString(),
          "APILB_JAVA_OPTS", OPTS), DeployFiles.file("bin/apilb").toString(), "cds-train",
          "--config", cp.dir.resolve("apilb.conf").toString());
      String out = output(train, 120);
      assertThat(train.exitValue()).as(out + Files.readString(archive.resolveSibling("apilb.jsa.log"))).isZero();
    }
    assertThat(archive).isRegularFile();
    assertThat(Files.size(archive)).as("JDK and apilb classes, tens of MB").isGreaterThan(10_000_000);
    assertThat(tmp.resolve("image")).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".tmp."));

    List<String> check = new ArrayList<>(List.of(javaBin()));
    check.addAll(List.of(OPTS.split(" ")));
    check.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-Xlog:class+load=info",
        "-jar", jar.toString(), "version"));
    Process version = process(Map.of(), check.toArray(String[]::new));
    String log = output(version, 60);
    assertThat(version.exitValue()).as(log).isZero();
    assertThat(log).as("apilb's classes come from the archive")
        .containsPattern("io\\.apilb\\.cli\\.Main source: shared objects file")
        .containsPattern("picocli\\.CommandLine source: shared objects file");
  }

  private Process process(Map<String, String> env, String... command) throws Exception {
    // output to a file, so a hung process fails the wait below instead of blocking a read
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("out-" + System.nanoTime() + ".txt").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("APILB_"));
    pb.environment().putAll(env);
    pb.environment().put("PATH", Path.of(javaBin()).getParent() + ":" + System.getenv("PATH"));
    Process p = pb.start();
    p.getOutputStream().close();
    outputs.put(p, pb.redirectOutput().file().toPath());
    return p;
  }

  private String output(Process p, int seconds) throws Exception {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("did not finish in " + seconds + " s");
    }
    return Files.readString(outputs.remove(p));
  }

  /** The JVM running the tests: the archive must be made and used by one and the same. */
  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
