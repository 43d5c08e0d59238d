package io.meshfed.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Finds a JDK of at least a given feature version on this machine, without hard-coding a path:
 * {@code MESHFED_REGISTRY_JAVA_HOME}, then {@code JAVA_HOME} and the running JVM, then every
 * JDK under the usual install roots. The newest match wins.
 */
public final class JdkLocator {

  private static final List<Path> INSTALL_ROOTS = List.of(
      Path.of("/usr/lib/jvm"), Path.of("/usr/java"), Path.of("/opt/java"), Path.of("/opt"),
      Path.of("/Library/Java/JavaVirtualMachines"),
      Path.of(System.getProperty("user.home"), ".sdkman", "candidates", "java"));

  private JdkLocator() {}

  /** A {@code java} executable of a JDK whose feature version is at least {@code minFeature}. */
  public static Optional<Path> findJava(int minFeature) {
    List<Path> candidates = new ArrayList<>();
    env("MESHFED_REGISTRY_JAVA_HOME").ifPresent(candidates::add);
    env("JAVA_HOME").ifPresent(candidates::add);
    candidates.add(Path.of(System.getProperty("java.home")));
    for (Path root : INSTALL_ROOTS) {
      if (Files.isDirectory(root)) {
        try (Stream<Path> children = Files.list(root)) {
          children.flatMap(p -> Stream.of(p, p.resolve("Contents/Home"))).forEach(candidates::add);
        } catch (IOException ignored) {
          // An unreadable root is no JDK.
        }
      }
    }
    return candidates.stream()
        .filter(home -> Files.isExecutable(home.resolve("bin/java")))
        .filter(home -> featureVersion(home) >= minFeature)
        .max(Comparator.comparingInt(JdkLocator::featureVersion))
        .map(home -> home.resolve("bin/java"));
  }

  /** Feature version from the JDK's {@code release} file (JAVA_VERSION="25.0.1"), or 0. */
  static int featureVersion(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return 0;
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(release)) {
      props.load(in);
    } catch (IOException e) {
      return 0;
    }
    String version = props.getProperty("JAVA_VERSION", "").replace("\"", "");
    String feature = version.startsWith("1.") ? version.substring(2) : version;
    int end = 0;
    while (end < feature.length() && Character.isDigit(feature.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(feature.substring(0, end));
  }

  private static Optional<Path> env(String name) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
  }
}
