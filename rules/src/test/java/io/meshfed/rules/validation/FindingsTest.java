package io.meshfed.rules.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Findings stay bounded however they are combined: the fault suite's FailoverService with
 * 10,000 backing services had 22 warnings (the spec's 20 and a count, plus a membership
 * warning added with {@link Findings#plus}).
 */
class FindingsTest {

  private static List<String> messages(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + " " + i).toList();
  }

  @Test
  void aBoundedFindingsPlusAnotherWarningStaysBoundedAndCountsIt() {
    Findings.Builder spec = new Findings.Builder();
    messages("backing service missing", 10_000).forEach(spec::warning);
    spec.error("spec.backingServices lists 10000");
    Findings specFindings = spec.build();
    assertThat(specFindings.warnings()).hasSize(Findings.MAX_MESSAGES + 1);

    Findings combined = specFindings.plus(Findings.warning("no endpoints for reviews"));

    assertThat(combined.warnings()).hasSize(Findings.MAX_MESSAGES + 1);
    assertThat(combined.warnings().subList(0, Findings.MAX_MESSAGES))
        .isEqualTo(messages("backing service missing", Findings.MAX_MESSAGES));
    // 9,980 left out by the builder and the one added that did not fit.
    assertThat(combined.warnings().get(Findings.MAX_MESSAGES))
        .isEqualTo("... and 9981 more warnings");
    assertThat(combined.errors()).containsExactly("spec.backingServices lists 10000");
  }

  @Test
  void twoSummariesAddUpAndErrorsAndWarningsAreCountedApart() {
    Findings a = new Findings(messages("e", 25), messages("w", 30));
    Findings b = new Findings(messages("f", 21), List.of("one warning"));
    Findings sum = a.plus(b);
    assertThat(sum.errors()).hasSize(Findings.MAX_MESSAGES + 1);
    assertThat(sum.errors().get(Findings.MAX_MESSAGES)).isEqualTo("... and 26 more errors");
    assertThat(sum.warnings()).hasSize(Findings.MAX_MESSAGES + 1);
    assertThat(sum.warnings().get(Findings.MAX_MESSAGES)).isEqualTo("... and 11 more warnings");
  }

  @Test
  void findingsWithinTheBoundAreKeptAsTheyAre() {
    List<String> twenty = new ArrayList<>(messages("w", Findings.MAX_MESSAGES));
    Findings f = new Findings(List.of("an error"), twenty);
    assertThat(f.warnings()).isEqualTo(twenty);
    assertThat(f.plus(Findings.NONE)).isEqualTo(f);
    // A message that only looks like a summary of the other kind is a message.
    Findings odd = new Findings(List.of("... and 3 more warnings"), List.of());
    assertThat(odd.errors()).containsExactly("... and 3 more warnings");
  }
}
