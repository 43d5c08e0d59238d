package io.meshfed.rules.status;

/**
 * A Kubernetes-style status condition (metav1.Condition without its time): the rules say what
 * holds, the topology stamps {@code lastTransitionTime} when {@code status} changes (a pure
 * rule has no clock, and the time of the previous transition lives in the stored status).
 *
 * @param type one of {@link #VALID}, {@link #ACCEPTED}, {@link #APPLIED}, {@link #CONFLICT}
 * @param status True, False or Unknown
 * @param reason a CamelCase word (the API server's pattern for metav1.Condition reasons)
 * @param message a sentence for people, at most {@link #MAX_MESSAGE} characters
 * @param observedGeneration the generation the condition was computed from
 */
public record Condition(String type, Status status, String reason, String message,
    long observedGeneration) {

  public static final String VALID = "Valid";
  public static final String ACCEPTED = "Accepted";
  public static final String APPLIED = "Applied";
  public static final String CONFLICT = "Conflict";

  /** Messages join findings; a huge spec must not produce a huge condition. */
  public static final int MAX_MESSAGE = 1024;

  /** Written as Kubernetes writes it: "True", "False", "Unknown". */
  public enum Status {
    True, False, Unknown;

    public static Status of(boolean holds) {
      return holds ? True : False;
    }
  }

  public Condition {
    if (message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE - 3) + "...";
    }
  }
}
