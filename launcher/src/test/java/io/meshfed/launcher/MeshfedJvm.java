package io.meshfed.launcher;

import java.util.ArrayList;
import java.util.List;

/** The command line of {@code meshfed ARGS} in a JVM of its own, as ./meshfed runs it. */
final class MeshfedJvm {

  private MeshfedJvm() {}

  static List<String> command(String maxHeap, List<String> args) {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-Xmx" + maxHeap, "-cp",
        System.getProperty("java.class.path"),
        // What ./meshfed logs with, not the tests' logback-test.xml on this classpath.
        "-Dlogback.configurationFile=logback.xml"));
    String apicurio = System.getProperty("meshfed.apicurio.home");
    if (apicurio != null) {
      command.add("-Dmeshfed.apicurio.home=" + apicurio);
    }
    command.add(Main.class.getName());
    command.addAll(args);
    return command;
  }
}
