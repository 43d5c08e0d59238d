package io.meshfed.destination;

/**
 * Keeps what a client sent out of status messages at full length. A gRPC status message travels
 * in the {@code grpc-message} trailer, and clients limit the size of headers and trailers
 * (grpc-java: 8 KiB by default): a message echoing a 100 KB path would reach the client as a
 * protocol error instead of the INVALID_ARGUMENT that says what is wrong.
 */
final class StatusMessages {

  /** The most any status message may have, in chars; far below every client's header limit. */
  static final int MAX_MESSAGE = 256;
  /** The most of one input a message quotes. */
  static final int MAX_QUOTED = 64;

  private StatusMessages() {}

  /**
   * {@code 'input'}, or for a long input its start and its length:
   * {@code 'aaaa…' (100000 chars)}.
   */
  static String quote(String input) {
    if (input.length() <= MAX_QUOTED) {
      return "'" + input + "'";
    }
    return "'" + input.substring(0, MAX_QUOTED) + "…' (" + input.length() + " chars)";
  }

  /** The message, cut to {@link #MAX_MESSAGE} chars with its full length stated if longer. */
  static String bound(String message) {
    if (message == null || message.length() <= MAX_MESSAGE) {
      return message;
    }
    String tail = "… (" + message.length() + " chars)";
    return message.substring(0, MAX_MESSAGE - tail.length()) + tail;
  }
}
