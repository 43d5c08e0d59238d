package io.meshfed.topology.faults;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per dead letter at most once a second, and counters for everything.
 *
 * <p>A bad record must cost less than a good one: a WARN with a full stack trace per record made
 * a flood of 20,000 bad records write 64 MB of log and slowed the thread enough to delay good
 * records past the heartbeat TTL. The stack trace goes into the dead letter's headers; the log
 * gets one line naming topic, partition, offset and the error, and the lines suppressed since the
 * last one are counted in the next. The counters are process-wide (the handlers are created by
 * Kafka Streams, one per thread) and exported on {@code /metrics}.
 */
public final class FaultLog {

  private static final Logger LOG = LoggerFactory.getLogger("io.meshfed.topology.dead-letter");
  private static final long INTERVAL_MS = 1_000;
  private static final Map<String, AtomicLong> DEAD_LETTERS = new ConcurrentHashMap<>();
  private static final AtomicLong SKIPPED_POISON = new AtomicLong();
  private static final AtomicLong lastLine = new AtomicLong();
  private static final AtomicLong suppressed = new AtomicLong();

  private FaultLog() {}

  /** Counts a dead letter of {@code kind} (deserialization, processing, production). */
  public static void deadLettered(String kind, String topic, int partition, long offset,
      Throwable error) {
    DEAD_LETTERS.computeIfAbsent(kind + "|" + error.getClass().getSimpleName(),
        k -> new AtomicLong()).incrementAndGet();
    long now = System.currentTimeMillis();
    long last = lastLine.get();
    if (now - last >= INTERVAL_MS && lastLine.compareAndSet(last, now)) {
      long more = suppressed.getAndSet(0);
      LOG.warn("{} error at {}-{}@{}: {}: {}; sent to the dead-letter topic{}", kind, topic,
          partition, offset, error.getClass().getSimpleName(),
          printable(DeadLetterRecords.bounded(String.valueOf(error.getMessage()), 300)),
          more > 0 ? " (" + more + " more dead letters since the last line)" : "");
    } else {
      suppressed.incrementAndGet();
    }
  }

  /**
   * The message with control and format characters escaped as backslash-u and four hex digits.
   * Messages quote names from the bad record itself, and a name is the sender's to choose: a
   * raw newline would start a forged log line, a bidi override (U+202E) would show the line
   * reversed, a NUL cuts it short for some readers (found by the fault suite's hostile-strings
   * records). The dead letter's own headers keep the message as it was.
   */
  static String printable(String message) {
    StringBuilder out = null;
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      int type = Character.getType(c);
      if (type == Character.CONTROL || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        if (out == null) {
          out = new StringBuilder(message.length() + 16).append(message, 0, i);
        }
        out.append(String.format("\\u%04x", (int) c));
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? message : out.toString();
  }

  /** Counts a record the replay breaker dead-lettered without processing it. */
  public static void poisonSkipped() {
    SKIPPED_POISON.incrementAndGet();
  }

  /** Dead letters so far, by {@code kind|ExceptionClass}. */
  public static Map<String, Long> deadLetters() {
    Map<String, Long> out = new java.util.TreeMap<>();
    DEAD_LETTERS.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Records dead-lettered by the replay breaker so far. */
  public static long poisonRecordsSkipped() {
    return SKIPPED_POISON.get();
  }
}
