package io.meshfed.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code meshfed} command run in-process, as a user gets it: exit code, stdout, stderr. */
record CliRun(int exit, String out, String err) {

  /**
   * Runs {@code meshfed args...} through {@link Main#commandLine()} with stdout and stderr
   * captured. An in-process stack's log lines land in stdout too.
   */
  static CliRun meshfed(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = Main.commandLine().execute(args);
      return new CliRun(exit, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }
}
