package io.meshfed.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stack's {@code meshfed.log} for a failed test's message: the log goes with the test's
 * directory, and what a failed step or a silent exit left is only there.
 */
final class StackLog {

  private StackLog() {}

  /** The log's warnings and errors (last {@code n}, each cut at 300 characters) and last lines. */
  static String tail(Path log, int n) throws IOException {
    if (!Files.exists(log)) {
      return "\n(no " + log + ")";
    }
    List<String> lines = Files.readAllLines(log);
    List<String> warnings = lines.stream().filter(l -> l.contains(" WARN ")
        || l.contains(" ERROR ")).map(l -> l.length() > 300 ? l.substring(0, 300) : l).toList();
    return "\n-- warnings and errors of " + log + " (last " + n + ") --\n" + last(warnings, n)
        + "\n-- its last " + n + " lines --\n" + last(lines, n);
  }

  private static String last(List<String> lines, int n) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }
}
