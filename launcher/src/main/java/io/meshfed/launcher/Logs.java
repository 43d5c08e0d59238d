package io.meshfed.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Where a stack's logs go: {@code meshfed up} and {@code demo} run Kafka, Kafka Streams, the
 * mock API servers and the agents in one JVM, and their warnings (a controller activating, a
 * client reconnecting) would bury meshfed's own lines. Those are printed, not logged, so the
 * terminal keeps them while every log line goes to a file in the stack's directory.
 */
final class Logs {

  static final String FILE = "meshfed.log";

  private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  private Logs() {}

  /**
   * Sends logs to {@code dir/meshfed.log} (appended: a resumed stack's log goes on), and with
   * {@code verbose} to stderr as well. Returns the file, or null when this JVM's logging is not
   * the CLI's own (the tests', say), which is then left as it is.
   */
  static Path toFile(Path dir, boolean verbose) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
        || !"cli".equals(context.getProperty("meshfed.logging"))) {
      return null;
    }
    Path file = dir.resolve(FILE).toAbsolutePath();
    context.reset();
    context.putProperty("meshfed.logging", "cli");
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    context.getLogger("io.meshfed").setLevel(Level.INFO);
    // Diagnosis: -Dmeshfed.log.info=kafka,org.apache.kafka logs those at INFO too (a restart's
    // phases inside the broker and Streams, issue #21).
    for (String name : System.getProperty("meshfed.log.info", "").split(",")) {
      if (!name.isBlank()) {
        context.getLogger(name.trim()).setLevel(Level.INFO);
      }
    }
    FileAppender<ILoggingEvent> toFile = new FileAppender<>();
    toFile.setFile(file.toString());
    toFile.setAppend(true);
    root.addAppender(started(context, toFile, "FILE"));
    if (verbose) {
      ConsoleAppender<ILoggingEvent> toStderr = new ConsoleAppender<>();
      toStderr.setTarget("System.err");
      root.addAppender(started(context, toStderr, "STDERR"));
    }
    // The mock API server logs through java.util.logging, whose console handler prints to the
    // terminal: into the same file instead.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    return file;
  }

  private static OutputStreamAppender<ILoggingEvent> started(LoggerContext context,
      OutputStreamAppender<ILoggingEvent> appender, String name) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    appender.setContext(context);
    appender.setName(name);
    appender.setEncoder(encoder);
    appender.start();
    return appender;
  }
}
