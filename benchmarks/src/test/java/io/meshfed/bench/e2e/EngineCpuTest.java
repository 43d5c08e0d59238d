package io.meshfed.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.meshfed.testing.SharedSchemaRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EngineCpu in a small size, and the cost model's records column checked by it: one flip of
 * the throughput fleet (a two-client FailoverService failing over or back) writes exactly the
 * records topology/DESIGN.md's cost model counts — 2 configs and 2 decisions (the product), the
 * member update to the decide stage, and one record in each of five changelogs.
 */
class EngineCpuTest {

  @Test
  void aFlipWritesTheTenRecordsOfTheCostModel() throws Exception {
    Map<String, Object> result = EngineCpu.run(SharedSchemaRegistry.get().confluentApiUrl(),
        100, 200, 400);

    double cpu = (Double) result.get("cpuMicrosPerFlip");
    assertThat(cpu).isPositive();
    // The engine's share of it, from the samples in the topology's own stages.
    assertThat((Double) result.get("engineMicrosPerFlip")).isBetween(0.0, cpu);
    @SuppressWarnings("unchecked")
    Map<String, Double> byTopic = (Map<String, Double>) result.get("recordsOutPerFlipByTopic");
    assertThat(byTopic).containsOnly(
        entry("meshfed.cluster.tput-00.config", 1.0),
        entry("meshfed.cluster.tput-01.config", 1.0),
        entry("meshfed.failover-events", 2.0),
        entry("by-destination-repartition", 1.0),
        entry("select-endpoints-changelog", 1.0),
        entry("decide-member-endpoints-changelog", 1.0),
        entry("decide-decision-configs-changelog", 1.0),
        entry("decide-decisions-by-destination-changelog", 1.0),
        entry("decide-decision-history-changelog", 1.0));
    assertThat(result.get("recordsOutPerFlip")).isEqualTo(10.0);
  }
}
