package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.deploy.DeployFiles.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/apilb}: JVM profiles (APILB_JVM_PROFILE), APILB_JAVA_OPTS, and the class-data-sharing
 * archive (APILB_CDS) with its training run and silent fallback. A stand-in {@code java} first on
 * PATH records every call instead of starting a JVM; its behaviour in a training run (the call
 * with -XX:DumpLoadedClassList, then the -Xshare:dump of that list) is chosen per test.
 */
class LauncherTest {
  @TempDir Path tmp;
  Path calls;
  Path jar;
  Path cacheDir;
  Map<String, String> env;

  @BeforeEach
  void fakeJava() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    calls = tmp.resolve("calls");
    jar = tmp.resolve("apilb.jar");
    Files.writeString(jar, "not a jar: the stand-in java never reads it");
    cacheDir = tmp.resolve("cds");
    // One line per call. In a training run TRAINING decides: "ok" writes the class list and the
    // dump the archive, "empty" exits 0 without writing the list, "fail" exits 1, "dumpfails" writes
    // the list and the dump exits 1 (as the JVM does when it cannot dump).
    Path java = bin.resolve("java");
    Files.writeString(java, """
        #!/usr/bin/env bash
        echo "$*" >>"$CALLS"
        for a in "$@"; do
          case "$a" in
            -XX:DumpLoadedClassList=*)
              case "${TRAINING:-ok}" in
                ok | dumpfails) echo java/lang/Object >"${a#-XX:DumpLoadedClassList=}" ;;
                fail) exit 1 ;;
                hangs) echo java/lang/Object >"${a#-XX:DumpLoadedClassList=}"; sleep 60; exit 0 ;;
              esac ;;
            -XX:SharedClassListFile=*)
              [ -s "${a#-XX:SharedClassListFile=}" ] || { echo "no class list" >&2; exit 1; } ;;
            -XX:SharedArchiveFile=*)
              if [[ " $* " == *" -Xshare:dump "* ]]; then
                [ "${TRAINING:-ok}" = dumpfails ] && exit 1
                echo archive >"${a#-XX:SharedArchiveFile=}"
              fi ;;
          esac
        done
        exit 0
        """);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    env = new HashMap<>();
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("CALLS", calls.toString());
    env.put("APILB_JAR", jar.toString());
    env.put("APILB_CDS_DIR", cacheDir.toString());
    env.put("HOME", tmp.toString());
  }

  Run launch(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add(DeployFiles.file("bin/apilb").toString());
    command.addAll(Arrays.asList(args));
    return DeployFiles.run(tmp, Duration.ofSeconds(60), env, command.toArray(String[]::new));
  }

  List<String> calls() throws IOException {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  /** The last call: the one the launcher exec'd. */
  List<String> finalArgs() throws IOException {
    List<String> all = calls();
    assertThat(all).isNotEmpty();
    return Arrays.asList(all.get(all.size() - 1).split(" "));
  }

  @Test
  void serverIsTheDefaultProfileWithTodaysThroughputSettings() throws Exception {
    assertThat(launch("version").exitCode()).isZero();
    assertThat(finalArgs()).containsSequence("-XX:+UseParallelGC", "-Xms256m")
        .doesNotContain("-XX:+UseSerialGC").endsWith("-jar", jar.toString(), "version");
  }

  @Test
  void sidecarProfileSelectsTheSmallFootprintOptions() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    assertThat(launch("version").exitCode()).isZero();
    assertThat(finalArgs()).contains("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1",
            "-XX:ReservedCodeCacheSize=24m", "-XX:+ExitOnOutOfMemoryError", "-Dio.netty.allocator.lowMemory=true")
        .doesNotContain("-XX:+UseParallelGC", "-Xms256m");
  }

  @Test
  void anUnknownProfileOrCdsSettingFailsNamingTheVariable() throws Exception {
    env.put("APILB_JVM_PROFILE", "tiny");
    Run bad = launch("run", "--config", "x.conf");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.output()).contains("APILB_JVM_PROFILE=tiny", "server", "sidecar");

    env.put("APILB_JVM_PROFILE", "sidecar");
    env.put("APILB_CDS", "yes");
    Run badCds = launch("run", "--config", "x.conf");
    assertThat(badCds.exitCode()).isEqualTo(2);
    assertThat(badCds.output()).contains("APILB_CDS=yes", "auto", "off");
    assertThat(calls()).as("no JVM started").isEmpty();
  }

  @Test
  void javaOptsReplaceTheProfilesOptions() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    env.put("APILB_JAVA_OPTS", "-Xmx1g -XX:+UseG1GC");
    assertThat(launch("version").exitCode()).isZero();
    assertThat(finalArgs()).startsWith("-Xmx1g", "-XX:+UseG1GC", "-jar").doesNotContain("-XX:+UseSerialGC");
  }

  @Test
  void javaOptionsPrintsTheOptionsAStartWouldUseAndStartsNothing() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    Run sidecar = launch("java-options");
    assertThat(sidecar.exitCode()).isZero();
    assertThat(sidecar.output().strip().split(" ")).contains("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1")
        .doesNotContain("-XX:+UseParallelGC");

    env.put("APILB_JAVA_OPTS", "-Xmx1g -XX:+UseG1GC");
    assertThat(launch("java-options").output().strip()).isEqualTo("-Xmx1g -XX:+UseG1GC");
    assertThat(calls()).as("no JVM started").isEmpty();
    assertThat(cacheDir).as("no archive trained").doesNotExist();
  }

  @Test
  void firstRunTrainsAnArchiveThatThisAndLaterRunsUse() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    Run first = launch("run", "--config", "/etc/apilb/apilb.conf");

    assertThat(first.exitCode()).isZero();
    List<String> calls = calls();
    assertThat(calls).hasSize(3);
    List<String> training = Arrays.asList(calls.get(0).split(" "));
    assertThat(training).contains("-XX:+UseSerialGC", "-Xmx64m")
        .endsWith("-jar", jar.toString(), "run", "--config", "/etc/apilb/apilb.conf", "--train-and-exit");
    String archive = archiveOf(finalArgs());
    assertThat(Path.of(archive)).exists().hasParent(cacheDir);
    String classList = training.stream().filter(a -> a.startsWith("-XX:DumpLoadedClassList=")).findFirst()
        .orElseThrow().substring("-XX:DumpLoadedClassList=".length());
    assertThat(classList).startsWith(archive + ".tmp.");
    List<String> dump = Arrays.asList(calls.get(1).split(" "));
    assertThat(dump).as("the static dump: the profile's options, the training's class list, the jar as -jar gives it")
        .contains("-XX:+UseSerialGC", "-Xmx64m", "-Xshare:dump", "-XX:SharedClassListFile=" + classList)
        .anyMatch(a -> a.startsWith("-XX:SharedArchiveFile=" + archive + ".tmp."))
        .endsWith("-cp", jar.toString());
    assertThat(Path.of(classList)).as("the class list is removed once dumped").doesNotExist();
    assertThat(finalArgs()).contains("-Xshare:auto").endsWith("-jar", jar.toString(), "run", "--config",
        "/etc/apilb/apilb.conf");
    assertThat(first.output()).contains("creating the class-data-sharing archive");

    Files.delete(this.calls);
    assertThat(launch("run", "--config", "/etc/apilb/apilb.conf").exitCode()).isZero();
    assertThat(calls()).as("no second training").hasSize(1);
    assertThat(archiveOf(finalArgs())).isEqualTo(archive);
  }

  @Test
  void anotherProfileOrJarGetsAnArchiveOfItsOwn() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    launch("run", "--config", "a.conf");
    String sidecar = archiveOf(finalArgs());
    env.put("APILB_JVM_PROFILE", "server");
    launch("run", "--config", "a.conf");
    assertThat(archiveOf(finalArgs())).isNotEqualTo(sidecar);
  }

  @Test
  void aTrainingRunThatWritesNothingFallsBackSilentlyAndIsNotRetried() throws Exception {
    env.put("APILB_JVM_PROFILE", "sidecar");
    env.put("TRAINING", "empty");
    Run first = launch("run", "--config", "a.conf");

    assertThat(first.exitCode()).isZero();
    assertThat(calls()).as("no dump without a class list").hasSize(2);
    assertThat(finalArgs()).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"))
        .endsWith("-jar", jar.toString(), "run", "--config", "a.conf");
    assertFailedForGoodAndNotRetried();
  }

  /** No archive and no temporary file (class list, partial archive); a marker, the log, no retry. */
  private void assertFailedForGoodAndNotRetried() throws Exception {
    try (var files = Files.list(cacheDir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("no archive, no class list or other temporary file; a marker and the training's log")
          .noneMatch(n -> n.endsWith(".jsa") || n.contains(".tmp."))
          .anyMatch(n -> n.endsWith(".jsa.failed"))
          .anyMatch(n -> n.endsWith(".jsa.log"));
    }
    Files.delete(calls);
    launch("run", "--config", "a.conf");
    assertThat(calls()).as("the marker stops a second training").hasSize(1);
  }

  @Test
  void aDumpThatFailsFallsBackSilentlyAndIsNotRetried() throws Exception {
    env.put("TRAINING", "dumpfails");
    Run first = launch("run", "--config", "a.conf");

    assertThat(first.exitCode()).isZero();
    assertThat(calls()).as("training, dump, the start itself").hasSize(3);
    assertThat(finalArgs()).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
    assertFailedForGoodAndNotRetried();
  }

  @Test
  void aLauncherStoppedDuringTrainingLeavesNoTemporaryFiles() throws Exception {
    env.put("TRAINING", "hangs");
    List<String> command = List.of(DeployFiles.file("bin/apilb").toString(), "run", "--config", "a.conf");
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("launcher.out").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("APILB_"));
    pb.environment().putAll(env);
    Process launcher = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!hasTemporaryFile() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(hasTemporaryFile()).as("the training wrote its class list").isTrue();
      // as a supervisor stops a service: TERM to the launcher and what it started
      launcher.descendants().forEach(ProcessHandle::destroy);
      launcher.destroy();
      assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      launcher.descendants().forEach(ProcessHandle::destroyForcibly);
      launcher.destroyForcibly();
    }
    assertThat(hasTemporaryFile()).as("no class list or partial archive left").isFalse();
  }

  private boolean hasTemporaryFile() throws IOException {
    if (!Files.isDirectory(cacheDir)) {
      return false;
    }
    try (var files = Files.list(cacheDir)) {
      return files.anyMatch(f -> f.getFileName().toString().contains(".tmp."));
    }
  }

  @Test
  void aFailedStartInTrainingLeavesNoMarkerSoTheNextStartTriesAgain() throws Exception {
    env.put("TRAINING", "fail");
    launch("run", "--config", "broken.conf");
    assertThat(finalArgs()).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
    try (var files = Files.list(cacheDir)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".failed"));
    }
    Files.delete(calls);
    env.put("TRAINING", "ok");
    launch("run", "--config", "fixed.conf");
    assertThat(calls()).hasSize(3);
    assertThat(finalArgs()).anyMatch(a -> a.startsWith("-XX:SharedArchiveFile="));
  }

  @Test
  void anUnwritableArchiveDirectoryMeansNoTrainingAndNoArchive() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "");
    env.put("APILB_CDS_DIR", file.resolve("cds").toString());
    Run l = launch("run", "--config", "a.conf");

    assertThat(l.exitCode()).isZero();
    assertThat(calls()).hasSize(1);
    assertThat(finalArgs()).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
    assertThat(l.output()).isEmpty();
  }

  @Test
  void cdsOffAndCommandsOtherThanRunNeverTrain() throws Exception {
    env.put("APILB_CDS", "off");
    launch("run", "--config", "a.conf");
    assertThat(calls()).hasSize(1);
    assertThat(finalArgs()).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));

    Files.delete(calls);
    env.remove("APILB_CDS");
    launch("check-config", "a.conf");
    assertThat(calls()).hasSize(1);
    assertThat(finalArgs()).noneMatch(a -> a.contains("SharedArchiveFile") || a.contains("DumpLoadedClassList"));
  }

  @Test
  void aGivenArchiveIsUsedAsIsAndCdsTrainOnlyCreatesIt() throws Exception {
    Path archive = tmp.resolve("image/apilb.jsa");
    env.put("APILB_CDS_ARCHIVE", archive.toString());
    env.put("APILB_JVM_PROFILE", "sidecar");

    Run train = launch("cds-train", "--config", "train.conf");
    assertThat(train.exitCode()).isZero();
    assertThat(archive).exists();
    assertThat(calls()).hasSize(2);
    assertThat(calls().get(0)).contains("--train-and-exit", "-XX:DumpLoadedClassList=" + archive + ".tmp.");
    assertThat(calls().get(1)).contains("-Xshare:dump", "-XX:SharedArchiveFile=" + archive + ".tmp.");

    Files.delete(calls);
    launch("run", "--config", "a.conf");
    assertThat(calls()).hasSize(1);
    assertThat(archiveOf(finalArgs())).isEqualTo(archive.toString());

    env.put("TRAINING", "empty");
    env.put("APILB_CDS_ARCHIVE", tmp.resolve("image/other.jsa").toString());
    assertThat(launch("cds-train", "--config", "train.conf").exitCode()).isEqualTo(1);
  }

  private static String archiveOf(List<String> args) {
    return args.stream().filter(a -> a.startsWith("-XX:SharedArchiveFile=")).findFirst()
        .map(a -> a.substring("-XX:SharedArchiveFile=".length()))
        .orElseThrow(() -> new AssertionError("no -XX:SharedArchiveFile in " + args));
  }
}
