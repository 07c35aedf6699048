package io.apilb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.apilb.cli.Main;
import io.apilb.config.ApilbConfig;
import io.apilb.config.ConfigLoader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@code docker/Dockerfile} matches what the build produces. No container engine runs here, so the
 * file is parsed and checked against the pom, the launcher, reference.conf and the CLI.
 */
class DockerfileTest {
  /** One instruction: keyword (upper case) and its arguments, continuation lines joined. */
  record Instruction(String keyword, String args) {
    /** The exec (JSON array) form of the arguments. */
    List<String> execForm() throws Exception {
      String json = args.startsWith("CMD ") ? args.substring(4).strip() : args;
      return Arrays.asList(new ObjectMapper().readValue(json, String[].class));
    }
  }

  static List<Instruction> build;
  static List<Instruction> cds;
  static List<Instruction> runtime;
  static List<String> stageBases = new ArrayList<>();

  @BeforeAll
  static void parse() throws Exception {
    List<List<Instruction>> stages = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : DeployFiles.read("docker/Dockerfile").split("\n")) {
      String t = line.strip();
      if (pending.isEmpty() && (t.isEmpty() || t.startsWith("#"))) {
        continue;
      }
      if (t.startsWith("#")) {
        continue; // comment inside a continued instruction
      }
      if (t.endsWith("\\")) {
        pending.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      pending.append(t);
      String[] kw = pending.toString().split("\\s+", 2);
      pending.setLength(0);
      Instruction i = new Instruction(kw[0].toUpperCase(), kw.length > 1 ? kw[1].strip() : "");
      if (i.keyword().equals("FROM")) {
        stages.add(new ArrayList<>());
        stageBases.add(i.args());
      }
      stages.get(stages.size() - 1).add(i);
    }
    assertThat(stages).as("stages").hasSize(3);
    build = stages.get(0);
    cds = stages.get(1);
    runtime = stages.get(2);
  }

  static List<Instruction> all(List<Instruction> stage, String keyword) {
    return stage.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  static Instruction one(List<Instruction> stage, String keyword) {
    List<Instruction> found = all(stage, keyword);
    assertThat(found).as(keyword).hasSize(1);
    return found.get(0);
  }

  /** COPY destinations of the runtime stage by source. */
  static Map<String, String> runtimeCopies() {
    return copies(runtime);
  }

  /** COPY destinations of a stage by source. */
  static Map<String, String> copies(List<Instruction> stage) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Instruction c : all(stage, "COPY")) {
      String[] w = c.args().split("\\s+");
      out.put(w[w.length - 2], w[w.length - 1]);
    }
    return out;
  }

  static Map<String, String> runtimeEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    Matcher m = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)").matcher(one(runtime, "ENV").args());
    while (m.find()) {
      env.put(m.group(1), m.group(2).replace("\"", ""));
    }
    return env;
  }

  static Document pom() throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(DeployFiles.file("pom.xml").toFile());
  }

  static String shadeSetting(String element) throws Exception {
    NodeList plugins = pom().getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element p = (Element) plugins.item(i);
      if (p.getElementsByTagName("artifactId").item(0).getTextContent().equals("maven-shade-plugin")) {
        return p.getElementsByTagName(element).item(0).getTextContent().strip();
      }
    }
    throw new AssertionError("no maven-shade-plugin in pom.xml");
  }

  @Test
  void buildsWithMavenThenRunsOnASmallJre() {
    assertThat(stageBases).containsExactly("maven:3-eclipse-temurin-17 AS build", "eclipse-temurin:17-jre AS cds",
        "eclipse-temurin:17-jre");
    assertThat(all(build, "RUN")).extracting(Instruction::args).contains("mvn -B -DskipTests package");
  }

  @Test
  void copiesTheShadedJarFromTheBuildStagesTargetDirectory() throws Exception {
    String workdir = one(build, "WORKDIR").args();
    String jar = workdir + "/target/" + shadeSetting("finalName") + ".jar";

    assertThat(all(runtime, "COPY")).extracting(Instruction::args)
        .contains("--from=build " + jar + " /opt/apilb/apilb.jar");
    assertThat(shadeSetting("mainClass")).isEqualTo(Main.class.getName());
  }

  @Test
  void entrypointIsTheLauncherPointedAtTheCopiedJar() throws Exception {
    Map<String, String> copies = runtimeCopies();
    assertThat(copies).containsEntry("bin/apilb", "/opt/apilb/bin/apilb");
    assertThat(DeployFiles.file("bin/apilb")).isExecutable();
    assertThat(one(runtime, "ENTRYPOINT").execForm()).containsExactly("/opt/apilb/bin/apilb");
    assertThat(runtimeEnv()).containsEntry("APILB_JAR", "/opt/apilb/apilb.jar")
        .doesNotContainKey("APILB_JAVA_OPTS");
    String launcher = DeployFiles.read("bin/apilb");
    assertThat(launcher).contains("${APILB_JAR:-", "${APILB_JAVA_OPTS:-", "${APILB_JVM_PROFILE:-", "-jar \"$jar\" \"$@\"");
  }

  @Test
  void runsTheSidecarProfileWithAnArchiveTrainedOnTheSameJvmAndJar() throws Exception {
    assertThat(runtimeEnv()).containsEntry("APILB_JVM_PROFILE", "sidecar");
    String archive = runtimeEnv().get("APILB_CDS_ARCHIVE");
    assertThat(archive).isNotBlank();
    // the training stage: the runtime's base image (same JVM build), the same jar at the same path
    assertThat(stageBases.get(1)).startsWith(stageBases.get(2) + " AS ");
    assertThat(all(cds, "COPY")).extracting(Instruction::args).contains("--from=build /src/target/apilb.jar /opt/apilb/apilb.jar");
    assertThat(all(runtime, "COPY")).extracting(Instruction::args).contains("--from=build /src/target/apilb.jar /opt/apilb/apilb.jar");
    Map<String, String> trainingCopies = copies(cds);
    assertThat(trainingCopies).containsEntry("bin/apilb", "/opt/apilb/bin/apilb")
        .containsEntry("docker/cds-train.sh", "/opt/apilb/cds-train.sh");
    assertThat(DeployFiles.file("docker/cds-train.sh")).isExecutable();
    String training = all(cds, "RUN").get(all(cds, "RUN").size() - 1).args();
    assertThat(training).contains("APILB_JVM_PROFILE=sidecar", "APILB_CDS_ARCHIVE=" + archive,
        "APILB_JAR=" + runtimeEnv().get("APILB_JAR"), "/opt/apilb/cds-train.sh");
    // the runtime takes the archive from where the training wrote it
    assertThat(all(runtime, "COPY")).extracting(Instruction::args).contains("--from=cds " + archive + " " + archive);
    assertThat(DeployFiles.read("docker/cds-train.sh")).contains("cds-train --config");
  }

  @Test
  void cmdRunsTheConfigurationTheHealthCheckReads() throws Exception {
    List<String> cmd = one(runtime, "CMD").execForm();
    ParseResult parsed = new CommandLine(new Main()).parseArgs(cmd.toArray(String[]::new));

    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("run");
    assertThat(parsed.subcommand().matchedOptionValue("--config", null).toString())
        .isEqualTo(runtimeEnv().get("APILB_CONFIG"));
  }

  @Test
  void runsAsANonRootUser() {
    String user = one(runtime, "USER").args();
    assertThat(user).doesNotStartWith("root").doesNotStartWith("0:").isNotEqualTo("0");
    assertThat(all(runtime, "RUN").get(0).args()).contains("--uid " + user.split(":")[0]);
  }

  @Test
  void exposesTheDefaultListenerAndAdminPorts() throws Exception {
    ApilbConfig defaults = ConfigLoader.parse("""
        apilb.listener.tls { cert-file = "a.crt", key-file = "a.key" }
        apilb.backends = [ { name = "cp1", address = "10.0.0.11:6443" } ]
        apilb.backend-tls.ca-file = "ca.crt"
        """, "minimal");

    assertThat(one(runtime, "EXPOSE").args().split("\\s+")).containsExactlyInAnyOrder(
        String.valueOf(defaults.listener().port()), String.valueOf(defaults.admin().port()));
  }

  @Test
  void healthCheckRunsTheStatusCommandOfTheCopiedJar() throws Exception {
    String args = one(runtime, "HEALTHCHECK").args();
    assertThat(args).contains("--interval=", "--timeout=").contains("CMD [");
    List<String> cmd = new Instruction("HEALTHCHECK", args.substring(args.indexOf("CMD "))).execForm();

    assertThat(cmd.get(0)).isEqualTo("java");
    int cp = cmd.indexOf("-cp");
    assertThat(cmd.get(cp + 1)).isEqualTo(runtimeCopies().get("/src/target/apilb.jar"));
    assertThat(Class.forName(cmd.get(cp + 2))).isEqualTo(Main.class);
    String[] cliArgs = cmd.subList(cp + 3, cmd.size()).toArray(String[]::new);
    ParseResult parsed = new CommandLine(new Main()).parseArgs(cliArgs);
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("status");
    assertThat(parsed.subcommand().hasMatchedOption("--livez")).isTrue();
  }

  @Test
  void buildContextHasEverythingTheStagesCopy() throws Exception {
    List<String> ignore = Files.readAllLines(DeployFiles.file(".dockerignore"));
    List<Instruction> fromContext = new ArrayList<>();
    for (List<Instruction> stage : List.of(build, cds, runtime)) {
      all(stage, "COPY").stream().filter(c -> !c.args().startsWith("--from=")).forEach(fromContext::add);
    }
    for (Instruction c : fromContext) {
      String[] w = c.args().split("\\s+");
      String source = w[0].replaceAll("/$", "");
      assertThat(DeployFiles.file(source)).as(source).exists();
      assertThat(ignore).as(".dockerignore lets %s in", source)
          .anyMatch(l -> l.replaceAll("/$", "").equals("!" + source));
    }
  }
}
