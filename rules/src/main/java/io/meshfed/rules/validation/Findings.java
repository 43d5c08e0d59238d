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

  /** Collects findings in order. */
  static final class Builder {
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    void error(String message) {
      errors.add(message);
    }

    void warning(String message) {
      warnings.add(message);
    }

    Findings build() {
      return new Findings(errors, warnings);
    }
  }
}
