package io.meshfed.topology.config;

import org.apache.kafka.common.errors.InvalidSessionTimeoutException;

/**
 * A session the broker refuses ({@code group.min/max.session.timeout.ms}; a stock broker's
 * minimum is 6 s) fails only when the instance joins the group, as an exception on the stream
 * thread; replacing the thread would fail the same way forever. This tells that case apart so
 * the topology stops with one line naming the key and both ways out. A session meshfed chose is
 * agreed with the broker at start ({@code CrashDetection.forBroker}); this catches one the
 * operator set outside the broker's bounds, and a broker reconfigured after the start.
 */
public final class SessionRefusal {

  private SessionRefusal() {}

  /** The one line to log if {@code failure} is the broker refusing the session; else null. */
  public static String explain(Throwable failure, CrashDetection detection) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InvalidSessionTimeoutException) {
        return "config key '" + CrashDetection.SESSION_KEY + "': the broker refuses a session of "
            + detection.sessionTimeout().toMillis() + " ms (outside its"
            + " group.min.session.timeout.ms / group.max.session.timeout.ms; a stock broker's"
            + " minimum is 6000): set it within them, or lower the broker's"
            + " group.min.session.timeout.ms; the topology stops";
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }
}
