package io.meshfed.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The summary's derived figures: what it computes from a run, not what the run measured. */
class SummaryTest {

  private static Map<String, Object> cpu(double topology, double bench, double broker,
      double jvm, double total) {
    return Map.of(ThreadCpu.TOPOLOGY, topology, ThreadCpu.BENCH, bench, ThreadCpu.OTHER_JAVA,
        broker, ThreadCpu.JVM, jvm, ThreadCpu.TOTAL, total);
  }

  private static Map<String, Object> throughput(int floorRate) {
    return Map.of(
        "productFloorAtTarget", Map.of("targetRate", floorRate,
            "cpuMicrosPerEvent", cpu(10.6, 14.3, 51.7, 13.2, 89.8)),
        "steps", List.of(
            Map.of("targetRate", 2000, "cpuMicrosPerFlip", cpu(282.0, 121.7, 318.5, 70.6, 793.3)),
            Map.of("targetRate", 5000, "cpuMicrosPerFlip", cpu(153.8, 75.4, 138.3, 34.9, 402.4))));
  }

  @Test
  void theEngineBudgetIsTheCoresLessTheProductFloorAndTheLastStepIsSetAgainstIt() {
    String text = Summary.engineBudget(2.0, throughput(E2eBench.TARGET_THROUGHPUT));

    // 2 cores at 20,000 events/s: 100 µs per event; the product floor took 89.8 of them.
    assertThat(text).contains("2 cores are 100.0 µs of CPU per event")
        .contains("the product floor took 89.8")
        .contains("may add at most 10.2 µs per flip")
        // The last step (5,000/s): 402.4 - 89.8 = 312.6 added, 30.6 times the budget.
        .contains("At 5000 flips/s the engine added 312.6 µs per flip")
        .contains("topology +143.2").contains("broker and other Java threads +86.6")
        .contains("31× that budget");
  }

  @Test
  void noBudgetWithoutAFloorAtTheTarget() {
    // A quick run measures its floors at its own small rate: no budget to state.
    assertThat(Summary.engineBudget(2.0, throughput(300))).isEmpty();
    assertThat(Summary.engineBudget(null, throughput(E2eBench.TARGET_THROUGHPUT))).isEmpty();
    assertThat(Summary.engineBudget(2.0, Map.of())).isEmpty();
  }
}
