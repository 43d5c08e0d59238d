package io.meshfed.rules.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * What validation found: errors make a resource INVALID, warnings make it WARNING. Messages
 * name the field and the offending value.
 */
public record Findings(List<String> errors, List<String> warnings) {

  public static final Findings NONE = new Findings(List.of(), List.of());

  /**
   * Every Findings is bounded, however it was made: {@link #plus} of two bounded ones (the
   * spec's 20 warnings and a count, then a membership warning) gave 22 warnings — the fault
   * suite's FailoverService with 10,000 backing services — so the bound is kept here, with the
   * counts of earlier summaries carried into the one summary line.
   */
  public Findings {
    errors = bounded(errors, "errors");
    warnings = bounded(warnings, "warnings");
  }

  private static final java.util.regex.Pattern SUMMARY =
      java.util.regex.Pattern.compile("\\.\\.\\. and (\\d{1,9}) more (errors|warnings)");

  /**
   * The first {@link #MAX_MESSAGES} messages and "... and N more {what}", N counting the
   * messages left out and those earlier summary lines counted.
   */
  static List<String> bounded(List<String> messages, String what) {
    boolean summarized = messages.stream().anyMatch(m -> m != null && m.startsWith("... and "));
    if (messages.size() <= MAX_MESSAGES && !summarized) {
      return List.copyOf(messages);
    }
    List<String> kept = new ArrayList<>();
    long more = 0;
    for (String message : messages) {
      java.util.regex.Matcher m = message == null ? null : SUMMARY.matcher(message);
      if (m != null && m.matches() && m.group(2).equals(what)) {
        more += Long.parseLong(m.group(1));
      } else if (kept.size() < MAX_MESSAGES) {
        kept.add(message);
      } else {
        more++;
      }
    }
    if (more > 0) {
      kept.add("... and " + more + " more " + what);
    }
    return List.copyOf(kept);
  }

  public boolean isValid() {
    return errors.isEmpty();
  }

  public Findings plus(Findings other) {
    List<String> e = new ArrayList<>(errors);
    e.addAll(other.errors);
    List<String> w = new ArrayList<>(warnings);
    w.addAll(other.warnings);
    return new Findings(e, w);
  }

  public static Findings error(String message) {
    return new Findings(List.of(message), List.of());
  }

  public static Findings warning(String message) {
    return new Findings(List.of(), List.of(message));
  }

  /** At most this many errors and this many warnings are kept; the rest are counted. */
  public static final int MAX_MESSAGES = 20;

  /**
   * Collects findings in order, keeping the first {@value #MAX_MESSAGES} of each and a count
   * of the rest: a resource with 10,000 bad entries must not produce a 10,000-line status.
   */
  static final class Builder {
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int moreErrors;
    private int moreWarnings;

    void error(String message) {
      if (errors.size() < MAX_MESSAGES) {
        errors.add(message);
      } else {
        moreErrors++;
      }
    }

    void warning(String message) {
      if (warnings.size() < MAX_MESSAGES) {
        warnings.add(message);
      } else {
        moreWarnings++;
      }
    }

    Findings build() {
      List<String> e = new ArrayList<>(errors);
      if (moreErrors > 0) {
        e.add("... and " + moreErrors + " more errors");
      }
      List<String> w = new ArrayList<>(warnings);
      if (moreWarnings > 0) {
        w.add("... and " + moreWarnings + " more warnings");
      }
      return new Findings(e, w);
    }
  }
}
