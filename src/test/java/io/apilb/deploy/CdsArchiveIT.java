package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.deploy.DeployFiles.Run;
import io.apilb.testing.ControlPlaneFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  @Test
  void theTrainedStaticArchiveMapsAndHoldsApilbsClasses() throws Exception {
    Path built = DeployFiles.file("target/apilb.jar");
    assumeTrue(Files.isRegularFile(built), "target/apilb.jar is made by `mvn package`, before the ITs");
    // a copy newer than the sources, so the launcher never rebuilds it from under the test
    Path jar = Files.copy(built, tmp.resolve("apilb.jar"), StandardCopyOption.REPLACE_EXISTING);
    Path archive = tmp.resolve("image/apilb.jsa");

    try (ControlPlaneFixture cp = ControlPlaneFixture.start(1)) {
      Run train = DeployFiles.run(tmp, Duration.ofSeconds(120), Map.of("APILB_JAR", jar.toString(),
          "APILB_CDS_ARCHIVE", archive.toString(), "APILB_JAVA_OPTS", OPTS, "PATH", pathWithThisJava()),
          DeployFiles.file("bin/apilb").toString(), "cds-train", "--config", cp.dir.resolve("apilb.conf").toString());
      assertThat(train.exitCode()).as(train.output() + Files.readString(archive.resolveSibling("apilb.jsa.log")))
          .isZero();
    }
    assertThat(archive).isRegularFile();
    assertThat(Files.size(archive)).as("JDK and apilb classes, tens of MB").isGreaterThan(10_000_000);
    assertThat(tmp.resolve("image")).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".tmp."));

    List<String> check = new ArrayList<>(List.of(javaBin()));
    check.addAll(List.of(OPTS.split(" ")));
    check.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-Xlog:class+load=info",
        "-jar", jar.toString(), "version"));
    Run version = DeployFiles.run(tmp, Duration.ofSeconds(60), Map.of(), check.toArray(String[]::new));
    assertThat(version.exitCode()).as(version.output()).isZero();
    assertThat(version.output()).as("apilb's classes come from the archive")
        .containsPattern("io\\.apilb\\.cli\\.Main source: shared objects file")
        .containsPattern("picocli\\.CommandLine source: shared objects file");
  }

  /** PATH with this JVM's bin first: the launcher runs the java it finds there. */
  private static String pathWithThisJava() {
    return Path.of(javaBin()).getParent() + ":" + System.getenv("PATH");
  }

  /** The JVM running the tests: the archive must be made and used by one and the same. */
  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
