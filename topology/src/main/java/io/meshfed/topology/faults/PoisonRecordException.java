package io.meshfed.topology.faults;

/**
 * Thrown instead of processing a record that failed before: the processing handler then sends it
 * to the dead-letter topic like any other bad record. Also wraps an {@link Error} thrown while
 * processing one record (an allocation bomb's OutOfMemoryError, a StackOverflowError), which
 * Kafka Streams would otherwise let kill the thread — and the replacement thread would replay
 * the same record.
 */
public final class PoisonRecordException extends RuntimeException {
  public PoisonRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
