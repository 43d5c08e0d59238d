package io.meshfed.rules.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * What validation found: errors make a resource INVALID, warnings make it WARNING. Messages
 * name the field and the offending value.
 */
public record Findings(List<String> errors, List<String> warnings) {

  public static final Findings NONE = new Findings(List.of(), List.of());

  public Findings {
    errors = List.copyOf(errors);
    warnings = List.copyOf(warnings);
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
