package io.apilb.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The dependency rules of docs/architecture.md, enforced. A rule that turns out wrong is changed
 * here and in the document together, with the reason.
 */
class PackageRulesTest {
  private static JavaClasses production;

  @BeforeAll
  static void importProductionClasses() {
    production = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.apilb");
  }

  /** Which of apilb's own packages each package may use (its own subpackages are listed where allowed). */
  private record Rule(String packages, String... mayUse) {}

  private static final Rule[] RULES = {
      new Rule("io.apilb.config.."),
      new Rule("io.apilb.support.."),
      new Rule("io.apilb.metrics.."),
      new Rule("io.apilb.tls..", "io.apilb.config.."),
      new Rule("io.apilb.pki..", "io.apilb.tls.."),
      new Rule("io.apilb.backend", "io.apilb.config.."),
      new Rule("io.apilb.backend.pool..", "io.apilb.backend", "io.apilb.tls..", "io.apilb.config..", "io.apilb.support.."),
      new Rule("io.apilb.balancing..", "io.apilb.backend", "io.apilb.config..", "io.apilb.metrics.."),
      new Rule("io.apilb.health..", "io.apilb.backend", "io.apilb.tls..", "io.apilb.config..", "io.apilb.metrics.."),
      new Rule("io.apilb.proxy.tunnel..", "io.apilb.support.."),
      new Rule("io.apilb.proxy.watch.."),
      new Rule("io.apilb.proxy", "io.apilb.proxy.tunnel..", "io.apilb.proxy.watch..", "io.apilb.backend..", "io.apilb.support..",
          "io.apilb.balancing..",
          "io.apilb.tls..", "io.apilb.config..", "io.apilb.metrics.."),
      new Rule("io.apilb.passthrough..", "io.apilb.backend", "io.apilb.balancing..", "io.apilb.config..",
          "io.apilb.metrics..", "io.apilb.support.."),
      new Rule("io.apilb.frontend..", "io.apilb.proxy", "io.apilb.passthrough..", "io.apilb.tls..", "io.apilb.config..",
          "io.apilb.metrics..", "io.apilb.support.."),
      new Rule("io.apilb.controlplane..", "io.apilb.backend", "io.apilb.tls..", "io.apilb.config..",
          "io.apilb.metrics.."),
      new Rule("io.apilb.admin..", "io.apilb.backend", "io.apilb.config..", "io.apilb.metrics.."),
      new Rule("io.apilb.sim..", "io.apilb.tls.."),
  };

  @TestFactory
  Stream<DynamicTest> eachPackageUsesOnlyThePackagesBelowIt() {
    return Arrays.stream(RULES).map(rule -> DynamicTest.dynamicTest(rule.packages(), () -> {
      String[] allowed = Stream.concat(Stream.of(rule.packages()), Arrays.stream(rule.mayUse())).toArray(String[]::new);
      classes().that().resideInAPackage(rule.packages())
          .should().onlyDependOnClassesThat(resideOutsideOfPackage("io.apilb..").or(resideInAnyPackage(allowed)))
          .because("docs/architecture.md: " + rule.packages() + " may use " + String.join(", ", rule.mayUse()))
          .check(production);
    }));
  }

  @Test
  void onlyTheDemoAndSimCommandsUseTheSimulator() {
    noClasses().that().resideOutsideOfPackage("io.apilb.sim..")
        .and().doNotHaveSimpleName("DemoCommand").and().doNotHaveSimpleName("SimCommand")
        .and().areNotNestedClasses()
        .should().dependOnClassesThat().resideInAPackage("io.apilb.sim..")
        .check(production);
  }

  @Test
  void packagesFormNoCycles() {
    slices().matching("io.apilb.(**)").should().beFreeOfCycles().check(production);
  }

  @Test
  void typesafeConfigStaysInConfig() {
    noClasses().that().resideOutsideOfPackage("io.apilb.config..")
        .should().dependOnClassesThat().resideInAPackage("com.typesafe.config..")
        .check(production);
  }

  @Test
  void bouncyCastleStaysInTls() {
    noClasses().that().resideOutsideOfPackages("io.apilb.tls..", "io.apilb.pki..")
        .should().dependOnClassesThat().resideInAPackage("org.bouncycastle..")
        .check(production);
  }

  @Test
  void onlyTheAdminPortAggregatesBodies() {
    noClasses().that().resideOutsideOfPackage("io.apilb.admin..")
        .should().dependOnClassesThat().haveFullyQualifiedName("io.netty.handler.codec.http.HttpObjectAggregator")
        .because("the proxy path streams: watches and exec sessions never end")
        .check(production);
  }

  @Test
  void eventLoopCodeNeverBlocks() {
    noClasses().that().resideInAnyPackage("io.apilb.frontend..", "io.apilb.proxy..", "io.apilb.backend..",
            "io.apilb.balancing..", "io.apilb.passthrough..", "io.apilb.controlplane..")
        .should().callMethodWhere(describe("a blocking wait", (JavaMethodCall call) -> isBlocking(call)))
        .check(production);
  }

  private static boolean isBlocking(JavaMethodCall call) {
    String name = call.getName();
    boolean futureWait = call.getTargetOwner().isAssignableTo(java.util.concurrent.Future.class)
        && (name.equals("sync") || name.equals("syncUninterruptibly") || name.equals("await")
            || name.equals("awaitUninterruptibly") || name.equals("get"));
    boolean sleep = call.getTargetOwner().isEquivalentTo(Thread.class) && name.equals("sleep");
    return futureWait || sleep;
  }
}
