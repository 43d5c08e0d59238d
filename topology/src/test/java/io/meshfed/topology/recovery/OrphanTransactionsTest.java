package io.meshfed.topology.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrphanTransactionsTest {

  private static final String LIVE = "0b7c8f0e-3f2a-4c51-9d7e-1a2b3c4d5e6f";
  private static final String DEAD = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b";

  @Test
  void aTransactionWhoseProcessHasNoMemberIsAnOrphan() {
    assertThat(OrphanTransactions.of("meshfed",
        List.of("meshfed-" + LIVE + "-1", "meshfed-" + DEAD + "-1", "meshfed-" + DEAD + "-2"),
        List.of("meshfed-" + LIVE + "-StreamThread-1-consumer",
            "meshfed-" + LIVE + "-StreamThread-2-consumer")))
        .containsExactly("meshfed-" + DEAD + "-1", "meshfed-" + DEAD + "-2");
  }

  @Test
  void otherApplicationsTransactionsAreNeverTouched() {
    // Another application whose id starts with this one's, and a non-Streams producer.
    assertThat(OrphanTransactions.of("meshfed",
        List.of("meshfed-bench-" + DEAD + "-1", "meshfed-" + DEAD, "connect-" + DEAD + "-1",
            "meshfed-" + DEAD + "-1-extra"),
        List.of("meshfed-" + LIVE + "-StreamThread-1-consumer")))
        .isEmpty();
  }

  @Test
  void anEmptyGroupMakesEveryOpenTransactionAnOrphan() {
    assertThat(OrphanTransactions.of("app.with.dots", List.of("app.with.dots-" + DEAD + "-1"),
        List.of())).containsExactly("app.with.dots-" + DEAD + "-1");
    // The application id is a literal, not a pattern: "app.with.dots" must not match "appXwith".
    assertThat(OrphanTransactions.of("app.with.dots", List.of("appXwithXdots-" + DEAD + "-1"),
        List.of())).isEmpty();
  }

  @Test
  void aMemberWithAClientIdOfItsOwnMeansNothingCanBeToldApart() {
    // client.id set by an operator: the live processes are unknown, so nothing is fenced.
    assertThat(OrphanTransactions.of("meshfed", List.of("meshfed-" + DEAD + "-1"),
        List.of("meshfed-" + LIVE + "-StreamThread-1-consumer", "my-topology-1-consumer")))
        .isEqualTo(Set.of());
  }
}
