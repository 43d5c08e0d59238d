package io.meshfed.connectors;

import java.nio.charset.StandardCharsets;

/**
 * Error text that stays readable where it ends up: a log line, the Connect status API's
 * {@code trace}. A failing server can answer megabytes of HTML; only the start is useful.
 */
public final class Messages {

  static final int MAX = 400;
  static final int SNIPPET = 120;

  private Messages() {}

  /** {@code text} cut to {@value #MAX} characters. */
  public static String bounded(String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= MAX ? text : text.substring(0, MAX - 3) + "...";
  }

  /** The start of a response body, one line, printable characters only. */
  public static String snippet(byte[] body) {
    if (body == null || body.length == 0) {
      return "empty";
    }
    String text = new String(body, 0, Math.min(body.length, SNIPPET * 4), StandardCharsets.UTF_8)
        .replaceAll("[\\p{Cntrl}&&[^\\t]]+", " ").strip();
    return "'" + (text.length() <= SNIPPET ? text : text.substring(0, SNIPPET) + "...") + "' ("
        + body.length + " bytes)";
  }

  /** Class and message of an exception and of its root cause, when they differ. */
  public static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    if (root != e) {
      text += " (" + root.getClass().getSimpleName()
          + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
    }
    return bounded(text);
  }
}
