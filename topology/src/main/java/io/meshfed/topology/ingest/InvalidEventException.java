package io.meshfed.topology.ingest;

/**
 * A record on an events topic that cannot be accepted: a malformed key, a key that names
 * another cluster than its topic, or a value of the wrong type for its key. The processing
 * exception handler sends the record to the dead-letter topic with this message in its headers.
 */
public class InvalidEventException extends RuntimeException {
  public InvalidEventException(String message) {
    super(message);
  }

  /** The key names a different cluster than the topic it arrived on. */
  public static final class SpoofedCluster extends InvalidEventException {
    public SpoofedCluster(String message) {
      super(message);
    }
  }
}
