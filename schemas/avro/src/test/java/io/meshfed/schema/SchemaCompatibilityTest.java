package io.meshfed.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Holds every schema change to the compatibility rule of its writer: each released version and
 * the current one are checked as reader/writer pairs with Avro's {@link SchemaCompatibility}.
 */
class SchemaCompatibilityTest {

  private static final Path RELEASED = Path.of("released");

  @TestFactory
  Stream<DynamicTest> everyReaderWriterPairHoldsItsCompatibilityRule() throws IOException {
    List<Path> versions = releasedVersions();
    assertThat(versions).as("released schema versions under %s", RELEASED.toAbsolutePath())
        .isNotEmpty();
    List<DynamicTest> tests = new ArrayList<>();
    for (SchemaCatalog.Entry entry : SchemaCatalog.ENTRIES) {
      List<Schema> history = new ArrayList<>();
      for (Path version : versions) {
        Path file = version.resolve(entry.schema().getFullName() + ".avsc");
        if (Files.exists(file)) {
          history.add(new Schema.Parser().parse(file.toFile()));
        }
      }
      history.add(entry.schema());
      tests.add(DynamicTest.dynamicTest(entry.subject() + " " + entry.compatibility(),
          () -> assertHistoryCompatible(entry, history)));
    }
    return tests.stream();
  }

  /** Pairs (reader, writer) with reader index i, writer index j over the history. */
  private static void assertHistoryCompatible(SchemaCatalog.Entry entry, List<Schema> history) {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      for (int j = 0; j < history.size(); j++) {
        boolean required = switch (entry.compatibility()) {
          case FULL_TRANSITIVE -> i != j;
          // Old readers must read newer writers.
          case FORWARD_TRANSITIVE -> i < j;
        };
        if (!required) {
          continue;
        }
        var result = SchemaCompatibility.checkReaderWriterCompatibility(history.get(i),
            history.get(j));
        if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
          failures.add("reader v" + (i + 1) + " cannot read writer v" + (j + 1) + ": "
              + result.getResult().getIncompatibilities());
        }
      }
    }
    assertThat(failures).as("%s must be %s (v%d is the current schema)", entry.subject(),
        entry.compatibility(), history.size()).isEmpty();
  }

  @Test
  void everyFieldHasADocAndEveryEnumADefault() {
    List<String> problems = new ArrayList<>();
    Set<Schema> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (SchemaCatalog.Entry entry : SchemaCatalog.ENTRIES) {
      collectProblems(entry.schema(), seen, problems);
    }
    assertThat(problems).isEmpty();
  }

  private static void collectProblems(Schema schema, Set<Schema> seen, List<String> problems) {
    if (!seen.add(schema)) {
      return;
    }
    switch (schema.getType()) {
      case RECORD -> {
        if (schema.getDoc() == null || schema.getDoc().isBlank()) {
          problems.add("record " + schema.getFullName() + " has no doc");
        }
        for (Schema.Field field : schema.getFields()) {
          if (field.doc() == null || field.doc().isBlank()) {
            problems.add("field " + schema.getFullName() + "." + field.name() + " has no doc");
          }
          collectProblems(field.schema(), seen, problems);
        }
      }
      case ENUM -> {
        if (schema.getEnumDefault() == null) {
          problems.add("enum " + schema.getFullName() + " has no default symbol");
        }
      }
      case UNION -> schema.getTypes().forEach(t -> collectProblems(t, seen, problems));
      case ARRAY -> collectProblems(schema.getElementType(), seen, problems);
      case MAP -> collectProblems(schema.getValueType(), seen, problems);
      default -> { }
    }
  }

  @Test
  void sampleRecordsCoverTheWholeCatalogue() {
    assertThat(SampleRecords.all()).extracting(r -> r.getSchema().getFullName())
        .containsExactlyInAnyOrderElementsOf(
            SchemaCatalog.ENTRIES.stream().map(e -> e.schema().getFullName()).toList());
  }

  private static List<Path> releasedVersions() throws IOException {
    try (Stream<Path> dirs = Files.list(RELEASED)) {
      return dirs.filter(Files::isDirectory)
          .sorted(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString()
              .substring(1))))
          .toList();
    }
  }
}
