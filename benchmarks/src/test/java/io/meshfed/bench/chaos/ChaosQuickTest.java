package io.meshfed.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.testing.SharedSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite in quick mode ({@code ./meshfed chaos --quick}): every class's oracle, epochs,
 * dead-letter and thread counts, never its timings.
 */
class ChaosQuickTest {

  @TempDir
  Path out;

  @Test
  void everyFaultClassEndsInTheOraclesStateWithNothingLostOrDuplicated() throws Exception {
    // The test JVM's shared registry: one registry start fewer in the suite.
    ChaosSuite suite = new ChaosSuite(ChaosSuite.Sizes.quickRun(), out, ChaosSuite.QUICK_CLASSES,
        SharedSchemaRegistry.get());
    suite.run();

    JsonNode classes = new ObjectMapper().readTree(out.resolve("faults.json").toFile())
        .path("classes");
    assertThat(classes.size()).isEqualTo(ChaosSuite.QUICK_CLASSES.size());
    for (String name : ChaosSuite.QUICK_CLASSES) {
      JsonNode c = classes.path(name);
      String why = name + ": " + c.path("findings");
      assertThat(c.path("finalEqualsOracle").asBoolean()).as(why).isTrue();
      assertThat(c.path("epochsOutOfPlace").asLong()).as(why).isZero();
      assertThat(c.path("lostTransitions").asLong()).as(why).isZero();
      assertThat(c.path("decisionsDuring").asLong()).as(why)
          .isEqualTo(c.path("expectedDecisions").asLong());
      assertThat(c.path("threadDeaths").asLong()).as(why).isZero();
    }
    JsonNode bad = classes.path("bad-input");
    assertThat(bad.path("deadLettered").asLong()).as(bad.path("findings").toString())
        .isEqualTo(ChaosSuite.Sizes.quickRun().badRecords());
    assertThat(bad.path("deadLetteredWithHeaders").asLong())
        .isEqualTo(ChaosSuite.Sizes.quickRun().badRecords());
    assertThat(classes.path("topology-kill").path("injectedCount").asLong())
        .isEqualTo(ChaosSuite.Sizes.quickRun().kills());
    assertThat(Files.readString(out.resolve("faults.md"))).contains("| bad-input |")
        .contains("| topology-kill |");
  }
}
