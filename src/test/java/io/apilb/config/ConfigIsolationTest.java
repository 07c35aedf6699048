package io.apilb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Until the ArchUnit rules land: Typesafe Config stays inside {@code io.apilb.config}. */
class ConfigIsolationTest {

  @Test
  void onlyTheConfigPackageImportsTypesafeConfig() throws IOException {
    Path main = Path.of("src/main/java");
    Path configPackage = main.resolve("io/apilb/config");
    List<Path> offenders;
    try (Stream<Path> files = Files.walk(main)) {
      offenders = files
          .filter(f -> f.toString().endsWith(".java"))
          .filter(f -> !f.getParent().equals(configPackage))
          .filter(ConfigIsolationTest::importsTypesafeConfig)
          .toList();
    }
    assertThat(offenders).isEmpty();
  }

  private static boolean importsTypesafeConfig(Path file) {
    try {
      return Files.readString(file).contains("com.typesafe.config");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
