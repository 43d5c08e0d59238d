package io.meshfed.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The command line of {@code meshfed ARGS} in a JVM of its own, as ./meshfed runs it. */
final class MeshfedJvm {

  private static final Path SCRIPT = Path.of("..", "meshfed");

  /**
   * The script's JVM options for a short command and the commands that run without them,
   * read from the script itself so the tests' JVMs cannot drift from what users get (a short
   * command's JVM start is most of its cost: C1 only roughly halves it).
   */
  private static final List<String> SHORT_COMMAND_OPTIONS;
  /** The stack's commands (up, demo) and their own options. */
  private static final List<String> STACK_COMMANDS;
  private static final List<String> STACK_OPTIONS;
  private static final List<String> LONG_RUNNING;

  static {
    String script;
    try {
      script = Files.readString(SCRIPT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SHORT_COMMAND_OPTIONS = words(script, "(?m)^jvm_opts=\\(([^)]*)\\)$");
    LONG_RUNNING = List.of(group(script, "(?m)^\\s*([a-z|]+)\\) jvm_opts=\\(\\) ;;$")
        .split("\\|"));
    String stack = "(?m)^\\s*(up\\|demo)\\) jvm_opts=\\(([^)]*)\\) ;;$";
    STACK_COMMANDS = List.of(group(script, stack).split("\\|"));
    STACK_OPTIONS = words(script, stack, 2);
  }

  /** The JVM options ./meshfed runs {@code command} with. */
  static List<String> options(String command) {
    if (STACK_COMMANDS.contains(command)) {
      return STACK_OPTIONS;
    }
    return LONG_RUNNING.contains(command) ? List.of() : SHORT_COMMAND_OPTIONS;
  }

  private MeshfedJvm() {}

  static List<String> command(String maxHeap, List<String> args) {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java")));
    command.addAll(options(args.isEmpty() ? "" : args.get(0)));
    command.addAll(List.of("-Xmx" + maxHeap, "-cp", classpath(),
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

  /**
   * The classpath ./meshfed runs with: this module's classes and target/classpath.txt (runtime
   * scope, written by Maven before the tests), not the tests' classpath — which holds every
   * test-scoped jar too, so a runtime jar missing from classpath.txt (re2j, once: Kafka's broker
   * then failed to start under ./meshfed) went unnoticed by every test.
   */
  static String classpath() {
    Path file = Path.of("target", "classpath.txt");
    String dependencies;
    try {
      dependencies = Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(file.toAbsolutePath() + " is missing: Maven writes it"
          + " (maven-dependency-plugin, generate-resources) before the tests run", e);
    }
    return Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator
        + dependencies;
  }

  private static List<String> words(String script, String regex) {
    return words(script, regex, 1);
  }

  private static List<String> words(String script, String regex, int group) {
    String words = group(script, regex, group).trim();
    return words.isEmpty() ? List.of() : Arrays.asList(words.split("\\s+"));
  }

  private static String group(String script, String regex) {
    return group(script, regex, 1);
  }

  private static String group(String script, String regex, int group) {
    Matcher m = Pattern.compile(regex).matcher(script);
    if (!m.find()) {
      throw new IllegalStateException(SCRIPT + " no longer has a line matching " + regex
          + ": MeshfedJvm reads its JVM options from it");
    }
    return m.group(group);
  }
}
