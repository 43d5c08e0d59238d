package io.meshfed.topology.faults;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * Dead-letter records that always fit: the failed record's bytes and Streams' standard error
 * headers ({@code __streams.errors.*}), each part bounded.
 *
 * <p>A dead letter that is itself too large for the producer poisons an exactly-once
 * transaction, and the stream thread then replays the record that caused it forever. So the
 * message is cut at {@value #MAX_MESSAGE} characters and the stack trace at {@value #MAX_TRACE};
 * the original headers are kept only while they total {@value #MAX_ORIGINAL_HEADERS} bytes; a key
 * or value over its bound is left out and described instead (length and SHA-256 in
 * {@code meshfed.dlq.*-omitted} headers) — the original stays readable at the topic, partition and
 * offset the headers name for as long as that topic retains it. Building never throws: whatever
 * goes wrong here yields a record with the headers alone.
 */
public final class DeadLetterRecords {

  public static final String HEADER_EXCEPTION = "__streams.errors.exception";
  public static final String HEADER_MESSAGE = "__streams.errors.message";
  public static final String HEADER_STACKTRACE = "__streams.errors.stacktrace";
  public static final String HEADER_TOPIC = "__streams.errors.topic";
  public static final String HEADER_PARTITION = "__streams.errors.partition";
  public static final String HEADER_OFFSET = "__streams.errors.offset";
  public static final String HEADER_KEY_OMITTED = "meshfed.dlq.key-omitted";
  public static final String HEADER_VALUE_OMITTED = "meshfed.dlq.value-omitted";

  static final int MAX_MESSAGE = 1_000;
  static final int MAX_TRACE = 8_000;
  static final int MAX_ORIGINAL_HEADERS = 16 * 1024;
  static final int MAX_KEY = 16 * 1024;
  /** Below the producer's 1 MiB max.request.size with room for key and headers. */
  static final int MAX_VALUE = 900 * 1024;

  private DeadLetterRecords() {}

  /** The dead letter for a record that failed with {@code error}; never throws. */
  public static ProducerRecord<byte[], byte[]> build(String deadLetterTopic,
      ErrorHandlerContext context, byte[] key, byte[] value, Throwable error) {
    return build(deadLetterTopic, context, key, value, error, MAX_VALUE);
  }

  /**
   * The value bound for a producer whose {@code max.request.size} is {@code maxRequestSize}:
   * 64 KiB of room for key, headers and batch overhead, and never more than {@value #MAX_VALUE}.
   */
  public static int valueLimitFor(int maxRequestSize) {
    return Math.max(0, Math.min(MAX_VALUE, maxRequestSize - 64 * 1024));
  }

  /** As above, keeping a value only up to {@code valueLimit} bytes. */
  public static ProducerRecord<byte[], byte[]> build(String deadLetterTopic,
      ErrorHandlerContext context, byte[] key, byte[] value, Throwable error, int valueLimit) {
    Headers headers = new RecordHeaders();
    try {
      copyOriginalHeaders(context.headers(), headers);
      add(headers, HEADER_EXCEPTION, error.getClass().getName());
      add(headers, HEADER_MESSAGE, bounded(String.valueOf(error.getMessage()), MAX_MESSAGE));
      add(headers, HEADER_STACKTRACE, bounded(stackTrace(error), MAX_TRACE));
      add(headers, HEADER_TOPIC, String.valueOf(context.topic()));
      add(headers, HEADER_PARTITION, String.valueOf(context.partition()));
      add(headers, HEADER_OFFSET, String.valueOf(context.offset()));
      byte[] keptKey = keep(key, MAX_KEY, HEADER_KEY_OMITTED, headers);
      byte[] keptValue = keep(value, valueLimit, HEADER_VALUE_OMITTED, headers);
      long timestamp = context.timestamp();
      return new ProducerRecord<>(deadLetterTopic, null, timestamp >= 0 ? timestamp : null,
          keptKey, keptValue, headers);
    } catch (Throwable unexpected) {
      RecordHeaders minimal = new RecordHeaders();
      add(minimal, HEADER_EXCEPTION, error.getClass().getName());
      add(minimal, HEADER_MESSAGE, "dead letter built without its payload: "
          + unexpected.getClass().getSimpleName());
      return new ProducerRecord<>(deadLetterTopic, null, null, null, null, minimal);
    }
  }

  /** {@code text} cut to {@code max} characters, saying how much was cut. */
  public static String bounded(String text, int max) {
    if (text == null || text.length() <= max) {
      return text;
    }
    String suffix = "... (" + (text.length() - max) + " more characters)";
    return text.substring(0, Math.max(0, max - suffix.length())) + suffix;
  }

  private static byte[] keep(byte[] bytes, int max, String header, Headers headers) {
    if (bytes == null || bytes.length <= max) {
      return bytes;
    }
    add(headers, header, bytes.length + " bytes, sha256 " + sha256(bytes)
        + "; read the original at the topic, partition and offset in the headers");
    return null;
  }

  private static void copyOriginalHeaders(Headers original, Headers into) {
    if (original == null) {
      return;
    }
    int total = 0;
    for (Header header : original) {
      int size = header.key().length() + (header.value() == null ? 0 : header.value().length);
      if (total + size > MAX_ORIGINAL_HEADERS) {
        add(into, "meshfed.dlq.headers-omitted", "original headers beyond "
            + MAX_ORIGINAL_HEADERS + " bytes were left out");
        return;
      }
      total += size;
      into.add(header.key(), header.value());
    }
  }

  private static String stackTrace(Throwable error) {
    StringWriter out = new StringWriter();
    error.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      return "unavailable";
    }
  }

  private static void add(Headers headers, String key, String value) {
    headers.add(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }
}
