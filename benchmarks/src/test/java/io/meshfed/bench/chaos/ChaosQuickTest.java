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

    // Bad resources: every regular category and the four absurd ones through the agent, and
    // four files through meshfed apply — three refused (one of them a file whose second
    // document is bad), one applied and then judged INVALID through the agent like the rest.
    JsonNode res = classes.path("bad-resources");
    String why = res.path("findings").toString();
    BadResources sized = new BadResources(null, ChaosSuite.Sizes.quickRun());
    int resources = sized.count();
    int files = sized.cliFiles();
    assertThat(res.path("injectedCount").asLong()).as(why).isEqualTo(resources + files);
    for (String category : BadResourceGenerator.categories()) {
      assertThat(res.path("perKind").path(category).asLong()).as(category).isPositive();
    }
    for (int i = 0; i < files; i++) {
      assertThat(res.path("perKind").has(CliShare.file(i).category())).isTrue();
    }
    assertThat(res.path("perKind").has("cli-second-document-bad")).isTrue();
    assertThat(res.path("injected").asText()).as(why)
        .contains(files + " bad files through meshfed apply (3 refused with exit 2, 1 applied)");
    // Every refused file, every resource and the applied file end as they must.
    assertThat(res.path("resourcesExpected").asLong()).isEqualTo(resources + files);
    assertThat(res.path("resourcesInvalid").asLong()).as(why).isEqualTo(resources + files);
    assertThat(res.path("deadLettered").asLong()).as(why).isZero();
    assertThat(res.path("alive").asBoolean()).as(why).isTrue();
    assertThat(res.path("passed").asBoolean()).as(why).isTrue();

    assertThat(Files.readString(out.resolve("faults.md"))).contains("| bad-input |")
        .contains("| topology-kill |").contains("| bad-resources |");
  }

  @Test
  void aRunOfSomeClassesKeepsTheOtherClassesResultsAndTheHandWrittenNotes() throws Exception {
    // An earlier report in the format before per-class runs: one run for the whole file.
    Files.writeString(out.resolve("faults.json"), """
        {"started": "2026-12-01T10:00:00Z", "mode": "full", "sizes": {"badRecords": 20000},
         "classes": {"topology-kill": {"passed": true, "injected": "5 kill -9",
           "decisionsDuring": 62, "expectedDecisions": 62, "maxRecoverySeconds": 26.9,
           "findings": ["kept"]}}}
        """);
    Files.writeString(out.resolve("faults.md"), "# old\n\nAn old note.\n");
    // Nothing runs: the results are made up here, only their writing is under test.
    ChaosSuite suite = new ChaosSuite(ChaosSuite.Sizes.quickRun(), out, java.util.List.of());
    FaultResult network = new FaultResult("network");
    network.injected = "a 30 s partition";
    network.started = java.time.Instant.parse("2026-12-02T20:00:00Z");
    network.loadMin = 1.0;
    network.loadMax = 3.5;
    network.loadMean = 2.0;
    suite.results.add(network);
    suite.writeResults(java.time.Instant.now());
    Files.writeString(out.resolve("faults.md"), Files.readString(out.resolve("faults.md"))
        + "A note added by hand after the first merge.\n");

    FaultResult again = new FaultResult("network");
    again.injected = "a 300 s partition";
    suite.results.clear();
    suite.results.add(again);
    suite.writeResults(java.time.Instant.now());

    JsonNode classes = new ObjectMapper().readTree(out.resolve("faults.json").toFile())
        .path("classes");
    assertThat(classes.path("topology-kill").path("findings").get(0).asText()).isEqualTo("kept");
    assertThat(classes.path("topology-kill").path("run").path("started").asText())
        .isEqualTo("2026-12-01T10:00:00Z");
    assertThat(classes.path("network").path("injected").asText()).isEqualTo("a 300 s partition");
    String md = Files.readString(out.resolve("faults.md"));
    assertThat(md).contains("| topology-kill | 2026-12-01 10:00 UTC, **reduced**")
        .contains("| network |").contains("a 300 s partition").doesNotContain("a 30 s partition")
        .contains("An old note.").contains("A note added by hand after the first merge.");
    assertThat(md.indexOf("An old note.")).isGreaterThan(md.indexOf(ChaosSuite.NOTES_MARKER));
    assertThat(md.split(java.util.regex.Pattern.quote(ChaosSuite.NOTES_MARKER), -1)).hasSize(2);
  }
}
