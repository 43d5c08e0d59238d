package io.meshfed.connectors;

/** The version Connect shows for meshfed's plugins: the jar manifest's, else the project version. */
public final class Version {

  private Version() {}

  public static String get() {
    String version = Version.class.getPackage().getImplementationVersion();
    return version == null ? "0.1.0-SNAPSHOT" : version;
  }
}
