package io.meshfed.agent.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The validator the schema tests rely on finds each kind of violation the API server does. */
class StructuralValidatorTest {

  private final StructuralValidator validator = new StructuralValidator(StructuralValidator.NO_CEL);

  private List<String> errors(Map<String, Object> schema, Object value) {
    List<String> out = new ArrayList<>();
    validator.validate(schema, value, "v", out);
    return out;
  }

  private static final Map<String, Object> SPEC = Map.of(
      "type", "object",
      "required", List.of("host"),
      "properties", Map.of(
          "host", Map.of("type", "string", "maxLength", 10, "pattern", "^[a-z]+(\\.[a-z]+)*$"),
          "port", Map.of("type", "integer", "minimum", 1, "maximum", 65535),
          "mode", Map.of("type", "string", "enum", List.of("A", "B")),
          "tags", Map.of("type", "array", "maxItems", 2, "items", Map.of("type", "string")),
          "labels", Map.of("type", "object", "additionalProperties", Map.of("type", "string")),
          "free", Map.of("type", "object", "x-kubernetes-preserve-unknown-fields", true),
          "either", Map.of("x-kubernetes-int-or-string", true)));

  @Test
  void aValidValuePasses() {
    assertThat(errors(SPEC, Map.of("host", "a.b", "port", 9080, "mode", "A",
        "tags", List.of("x"), "labels", Map.of("k", "v"), "free", Map.of("any", List.of(1)),
        "either", "http"))).isEmpty();
    assertThat(errors(SPEC, Map.of("host", "a", "either", 8080))).isEmpty();
  }

  @Test
  void eachViolationIsReported() {
    assertThat(errors(SPEC, Map.of("port", 0))).containsExactlyInAnyOrder(
        "v.host: Required value", "v.port: should be greater than or equal to 1 (is 0)");
    assertThat(errors(SPEC, Map.of("host", "a\\.b"))).singleElement().asString()
        .contains("should match");
    assertThat(errors(SPEC, Map.of("host", "abcdefghijk"))).singleElement().asString()
        .contains("may not be longer than 10");
    assertThat(errors(SPEC, Map.of("host", "a", "mode", "C"))).singleElement().asString()
        .contains("Unsupported value");
    assertThat(errors(SPEC, Map.of("host", "a", "port", "80"))).singleElement().asString()
        .contains("must be of type integer");
    assertThat(errors(SPEC, Map.of("host", "a", "tags", List.of("a", "b", "c"))))
        .singleElement().asString().contains("at most 2 items");
    assertThat(errors(SPEC, Map.of("host", "a", "labels", Map.of("k", 1)))).singleElement()
        .asString().startsWith("v.labels.k: must be of type string");
    assertThat(errors(SPEC, Map.of("host", "a", "either", 1.5))).singleElement().asString()
        .contains("integer or a string");
    assertThat(errors(SPEC, Map.of("host", "a", "extra", true)))
        .containsExactly("v.extra: field not declared in schema (it would be pruned)");
  }

  @Test
  void patternsAreUnanchoredRe2AsInGo() {
    Map<String, Object> unanchored = Map.of("type", "string", "pattern", "b");
    assertThat(errors(unanchored, "abc")).isEmpty();
    // java.util.regex would accept a lookahead; Go's regexp, and so the API server, cannot.
    assertThat(StructuralValidator.checkStructural(
        Map.of("type", "string", "pattern", "^(?=a)a$"), "p")).singleElement().asString()
        .contains("not valid RE2");
  }

  @Test
  void unknownCelRulesFailLoudlyAndKnownOnesAreEvaluated() {
    Map<String, Object> schema = Map.of("type", "integer", "x-kubernetes-validations",
        List.of(Map.of("rule", "self > 0", "message", "positive")));
    assertThat(errors(schema, 1)).singleElement().asString().contains("CEL rule not evaluated");
    var withCel = new StructuralValidator((rule, message, self) ->
        (Integer) self > 0 ? null : message);
    List<String> out = new ArrayList<>();
    withCel.validate(schema, 0, "v", out);
    assertThat(out).containsExactly("v: positive");
  }

  @Test
  void nonStructuralSchemasAreFound() {
    assertThat(StructuralValidator.checkStructural(Map.of("properties", Map.of()), "s"))
        .containsExactly("s: type is required in a structural schema");
    assertThat(StructuralValidator.checkStructural(Map.of("type", "array"), "s"))
        .containsExactly("s: array without items");
  }
}
