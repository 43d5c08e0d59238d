package io.meshfed.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.kafka.common.utils.Exit;

/**
 * Says on the terminal when the embedded Kafka broker ends the process. Kafka's broker and
 * controller stop their JVM on a fault they cannot survive (a failed log directory, a fatal
 * metadata fault) through {@link Exit}, logging why — and a stack's logs go to its file, so
 * {@code meshfed up} used to vanish printing nothing. The process still ends as Kafka asks
 * (a broker past such a fault is not safe to run on); only the why is printed first.
 */
final class BrokerExits {

  /** How the process ends: {@code Runtime.exit} or {@code Runtime.halt}; replaced in tests. */
  interface Terminator {
    void end(boolean halt, int status);
  }

  private BrokerExits() {}

  /** Installs the procedures for the command {@code command} whose log is {@code log}. */
  static void install(String command, Path log, PrintStream err) {
    install(command, log, err, (halt, status) -> {
      if (halt) {
        Runtime.getRuntime().halt(status);
      } else {
        Runtime.getRuntime().exit(status);
      }
    });
  }

  static void install(String command, Path log, PrintStream err, Terminator terminator) {
    Exit.setExitProcedure(sayThenEnd(command, log, err, terminator, false));
    Exit.setHaltProcedure(sayThenEnd(command, log, err, terminator, true));
  }

  private static Exit.Procedure sayThenEnd(String command, Path log, PrintStream err,
      Terminator terminator, boolean halt) {
    return (status, message) -> {
      err.println(line(command, status, message, log));
      err.flush();
      terminator.end(halt, status);
    };
  }

  static String line(String command, int status, String message, Path log) {
    String why = message == null || message.isBlank() ? "" : ": " + bounded(message);
    return "meshfed " + command + ": the embedded Kafka broker ended the process (status "
        + status + ")" + why + (log == null ? "" : "; see " + log);
  }

  private static String bounded(String message) {
    String oneLine = message.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "…";
  }
}
