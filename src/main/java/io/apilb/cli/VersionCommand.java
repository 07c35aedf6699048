package io.apilb.cli;

import io.apilb.tls.TlsContexts;
import io.apilb.support.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code apilb version}. */
@Command(name = "version", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class, description = "Print the version, TLS provider and transport.")
final class VersionCommand implements Runnable {
  static String version() {
    String v = VersionCommand.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }

  @Override
  public void run() {
    System.out.println("apilb " + version());
    System.out.println("tls provider: " + TlsContexts.provider());
    System.out.println("transport: " + Transport.detect(true).name());
    System.out.println("java: " + System.getProperty("java.version"));
  }

  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"apilb " + version()};
    }
  }
}
