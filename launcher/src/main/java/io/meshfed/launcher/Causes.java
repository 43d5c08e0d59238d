package io.meshfed.launcher;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

/**
 * Why a connection failed, in a few words: the JDK's HTTP client throws a ConnectException
 * whose message is null, which once made the CLI say {@code cannot reach ...: null}.
 */
final class Causes {

  /** Long answers (an HTML error page, a stack trace) are cut here. */
  static final int MAX = 200;

  private Causes() {}

  static String of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        // The socket says "Connection refused", the HTTP client nothing: one wording for both.
        return t.getMessage() == null ? "connection refused"
            : bounded(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      }
      if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) {
        return "no answer in time";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return bounded(t.getMessage());
      }
    }
    return failure.getClass().getSimpleName();
  }

  /** The first line of {@code text}, at most {@link #MAX} characters. */
  static String bounded(String text) {
    String line = Main.firstLine(text).strip();
    return line.length() <= MAX ? line : line.substring(0, MAX) + "...";
  }
}
