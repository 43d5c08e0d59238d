package io.meshfed.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.testing.SharedSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end benchmark in quick mode, so a change that breaks the harness fails the build.
 * It checks that every section ran and wrote its figures; it asserts nothing about timings.
 */
class E2eBenchSmokeTest {

  @TempDir
  Path out;

  @Test
  void theQuickRunMeasuresEverySectionAndWritesResultsSummaryAndPlot() throws Exception {
    // The test JVM's shared registry: one registry start fewer in the suite.
    new E2eBench(E2eBench.Sizes.quickRun(), out, null, SharedSchemaRegistry.get()).run();

    JsonNode results = new ObjectMapper().readTree(out.resolve("e2e.json").toFile());
    for (String guarantee : new String[] {"at_least_once", "exactly_once_v2"}) {
      JsonNode run = results.path("latency").path(guarantee).path("100");
      assertThat(run.path("decisionMs").path("n").asLong()).as(guarantee).isPositive();
      assertThat(run.path("configMs").path("n").asLong()).as(guarantee).isPositive();
      assertThat(results.path("floor").path(guarantee).path("100").path("endToEndMs")
          .path("n").asLong()).as(guarantee).isPositive();
    }
    for (String broker : new String[] {"open", "sasl_scram"}) {
      assertThat(results.path("security").path(broker).path("decisionMs").path("n").asLong())
          .as(broker).isPositive();
    }
    assertThat(results.path("throughput").path("steps").size()).isPositive();
    assertThat(results.path("throughput").path("profile").path("samples").asInt()).isPositive();
    // The stream thread's samples by stage and by work, each a whole (attribution is tested
    // in CpuProfileTest; a quick window is too short to promise any one stage a sample).
    JsonNode streamThread = results.path("throughput").path("profile").path("streamThread");
    assertThat(streamThread.path("samples").asInt()).as(streamThread.toString()).isPositive();
    for (String by : new String[] {"byStage", "byWork"}) {
      double sum = 0;
      for (JsonNode share : streamThread.path(by)) {
        sum += Double.parseDouble(share.asText().replace("%", ""));
      }
      assertThat(sum).as(by + " of " + streamThread).isCloseTo(100.0,
          org.assertj.core.data.Offset.offset(0.5));
    }
    // The same-run floor at the throughput step's rate: every record through both relays.
    JsonNode floorAtTarget = results.path("throughput").path("floorAtTarget");
    assertThat(floorAtTarget.path("endToEndMs").path("n").asLong()).isPositive();
    assertThat(floorAtTarget.path("notArrived").asLong()).isZero();
    assertThat(floorAtTarget.path("cpuMicrosPerEvent").path("topology").asDouble()).isPositive();
    // The product floor: the last relay writes a flip's four records, and all of them arrive.
    JsonNode productFloor = results.path("throughput").path("productFloorAtTarget");
    assertThat(productFloor.path("outputsPerEvent").asInt())
        .isEqualTo(E2eBench.PRODUCT_RECORDS_PER_FLIP);
    assertThat(productFloor.path("endToEndMs").path("n").asLong())
        .isEqualTo(E2eBench.PRODUCT_RECORDS_PER_FLIP
            * floorAtTarget.path("endToEndMs").path("n").asLong());
    assertThat(productFloor.path("notArrived").asLong()).isZero();
    assertThat(results.path("scale").path("configsWritten").asInt())
        .isEqualTo(results.path("scale").path("expectedConfigs").asInt());
    assertThat(results.path("scale").has("coldRestoreSeconds")).isTrue();
    for (String phase : new String[] {"outage", "recovery"}) {
      JsonNode zone = results.path("zone-outage").path(phase);
      assertThat(zone.path("affectedConfigs").asInt()).as(phase).isPositive();
      assertThat(zone.path("configsReached").asInt()).as(phase)
          .isEqualTo(zone.path("affectedConfigs").asInt());
    }
    JsonNode steady = results.path("fleet-steady-state");
    assertThat(steady.path("quietCpu").path("percentOfOneCore").has("topology")).isTrue();
    assertThat(steady.path("resyncCpu").path("recordsSent").asLong())
        .isEqualTo(steady.path("resyncCpu").path("recordsToSend").asLong());
    assertThat(steady.path("probeDuringResync").path("decisionMs").path("n").asLong())
        .isPositive();
    assertThat(results.path("failover").path("decisionMs").path("n").asLong()).isPositive();
    assertThat(results.path("agent").path("objects").asInt()).isEqualTo(100);
    for (String region : new String[] {"singleRegion", "mirrored"}) {
      JsonNode run = results.path("mirrored").path(region);
      assertThat(run.path("decisionMs").path("n").asLong()).as(region).isPositive();
      assertThat(run.path("configMs").path("n").asLong()).as(region).isPositive();
    }
    assertThat(Files.readString(out.resolve("SUMMARY.md"))).contains("| target |")
        .contains("vs floor").contains("## Zone outage").contains("## Fleet steady state")
        .contains("## Two regions through MirrorMaker 2").contains("## Security cost")
        .contains("The stream thread's " + streamThread.path("samples").asInt() + " samples on"
            + " their whole stacks");
    assertThat(Files.size(out.resolve("latency-cdf.png"))).isPositive();
  }
}
