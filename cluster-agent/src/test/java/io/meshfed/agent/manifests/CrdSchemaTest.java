package io.meshfed.agent.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.MeshfedResources;
import io.meshfed.agent.publish.ExternalMembers;
import io.meshfed.agent.schema.Crds;
import io.meshfed.agent.schema.StructuralValidator;
import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.Condition;
import io.meshfed.avro.ConditionStatus;
import io.meshfed.avro.MeshApprovalStatus;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.schema.StatusDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * meshfed's CRDs as a real API server reads them: every {@code pattern} evaluated with RE2
 * (re2j, the semantics of Go's regexp that kube-apiserver uses) against values that must pass
 * and values that must fail, and every object meshfed ships or writes — the examples, the
 * resources the tests create, every status {@link StatusDocument} can produce — validated
 * against the openAPIV3Schema. The fabric8 mock server validates none of this.
 */
class CrdSchemaTest {

  private static final Path CRDS = Path.of("deploy/base/crds.yaml");
  private static final Path EXAMPLES = Path.of("../examples");
  private final Crds crds = Crds.load(CRDS);
  private final StructuralValidator validator = new StructuralValidator(StructuralValidator.NO_CEL);

  /** Every string schema with a pattern, by path, from every CRD version. */
  @SuppressWarnings("unchecked")
  private Map<String, String> patterns() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map<String, Object> crd : crds.all()) {
      String kind = (String) ((Map<String, Object>) ((Map<String, Object>) crd.get("spec"))
          .get("names")).get("kind");
      for (Object v : (List<?>) ((Map<String, Object>) crd.get("spec")).get("versions")) {
        Map<String, Object> schema = (Map<String, Object>) ((Map<String, Object>)
            ((Map<String, Object>) v).get("schema")).get("openAPIV3Schema");
        collect(schema, kind, out);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void collect(Map<String, Object> schema, String path, Map<String, String> out) {
    if (schema.get("pattern") instanceof String p) {
      out.put(path, p);
    }
    if (schema.get("properties") instanceof Map<?, ?> props) {
      ((Map<String, Object>) props).forEach((k, v) ->
          collect((Map<String, Object>) v, path + "." + k, out));
    }
    if (schema.get("items") instanceof Map<?, ?> items) {
      collect((Map<String, Object>) items, path + "[]", out);
    }
    if (schema.get("additionalProperties") instanceof Map<?, ?> add) {
      collect((Map<String, Object>) add, path + "{}", out);
    }
  }

  private static final List<String> GOOD_HOSTS = List.of("reviews-failover.bookinfo.global",
      "reviews.bookinfo.svc.cluster.local", "a", "x.global", "a1-b2.c3", "a".repeat(63) + ".io");
  private static final List<String> BAD_HOSTS = List.of("", "Reviews.global", "*.global",
      "-a.global", "a-.global", "a..b", ".a", "a.", "a_b.global", "a\\.b", "a".repeat(64) + ".io",
      "reviews.global:9080");
  private static final List<String> GOOD_DURATIONS = List.of("1.5s", "10s", "500ms", "1m", "2h",
      "0.5h", "30000ms");
  private static final List<String> BAD_DURATIONS = List.of("", "1.5", "s", "10 s", "1,5s",
      "-1s", "1\\.5s", "1d", "10sec");
  // metav1.Condition's patterns, as the API server has them.
  private static final List<String> GOOD_CONDITION_TYPES = List.of("Valid", "Accepted",
      "Applied", "Conflict", "meshfed.io/Applied");
  private static final List<String> BAD_CONDITION_TYPES = List.of("", "-Valid", "Valid.",
      "a b", "/Valid");
  private static final List<String> GOOD_REASONS = List.of("Valid", "ValidationFailed",
      "HostnameConflict", "NoConflict", "AcceptedWithWarnings", "ApplyFailed", "Pending", "a_b",
      "a:b");
  private static final List<String> BAD_REASONS = List.of("", "1Valid", "Not valid", "Valid,",
      "Valid.");
  private static final List<String> GOOD_PROTOCOLS = List.of("HTTP", "http", "Grpc", "HTTP2",
      "TLS", "mongo");
  private static final List<String> BAD_PROTOCOLS = List.of("", "UDP", "HTTPX", "xHTTP",
      "HTTP ");

  @Test
  void everyPatternIsValidRe2AndSortsValuesAsMeshfedDoes() {
    Map<String, String> patterns = patterns();
    // Two hostname fields, four protocols (two of them the external members' ports), three
    // durations, and per kind the conditions' type and reason, overall and per cluster: a new
    // pattern needs cases here.
    assertThat(patterns).hasSize(9 + 4 * 4);
    List<String> problems = new ArrayList<>();
    patterns.forEach((path, source) -> {
      Pattern p = StructuralValidator.compile(source);
      List<String> good;
      List<String> bad;
      if (path.endsWith("conditions[].type")) {
        good = GOOD_CONDITION_TYPES;
        bad = BAD_CONDITION_TYPES;
      } else if (path.endsWith("conditions[].reason")) {
        good = GOOD_REASONS;
        bad = BAD_REASONS;
      } else if (path.endsWith(".hostname") || path.endsWith(".hosts[]")) {
        good = GOOD_HOSTS;
        bad = BAD_HOSTS;
      } else if (path.endsWith(".protocol")) {
        good = GOOD_PROTOCOLS;
        bad = BAD_PROTOCOLS;
      } else {
        good = GOOD_DURATIONS;
        bad = BAD_DURATIONS;
      }
      // kube-apiserver matches unanchored (Go's MatchString): find(), not matches().
      good.stream().filter(v -> !p.matcher(v).find())
          .forEach(v -> problems.add(path + " rejects valid '" + v + "' (" + source + ")"));
      bad.stream().filter(v -> p.matcher(v).find())
          .forEach(v -> problems.add(path + " accepts invalid '" + v + "' (" + source + ")"));
    });
    assertThat(problems).isEmpty();
  }

  @Test
  void theSchemasAreStructural() {
    List<String> problems = new ArrayList<>();
    for (Map<String, Object> crd : crds.all()) {
      @SuppressWarnings("unchecked")
      var spec = (Map<String, Object>) crd.get("spec");
      for (Object v : (List<?>) spec.get("versions")) {
        @SuppressWarnings("unchecked")
        var schema = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) v)
            .get("schema")).get("openAPIV3Schema");
        problems.addAll(StructuralValidator.checkStructural(schema,
            ((Map<?, ?>) crd.get("metadata")).get("name").toString()));
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyValidExampleIsAcceptedAndTheDeliberatelyInvalidOneIsRejectedForItsPort()
      throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(EXAMPLES)) {
      files = walk.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    int checked = 0;
    for (Path file : files) {
      String text = Files.readString(file);
      for (Map<String, Object> doc : Crds.readAll(file)) {
        if (!crds.serves((String) doc.get("apiVersion"), (String) doc.get("kind"))) {
          continue;
        }
        checked++;
        List<String> errors = crds.validate(doc, StructuralValidator.NO_CEL);
        if (text.contains("Deliberately invalid")) {
          // A real API server refuses it at admission, before meshfed's validation sees it.
          assertThat(errors).as(file.toString()).containsExactly(
              "spec.port.number: should be less than or equal to 65535 (is 70000)");
        } else {
          assertThat(errors).as(file.toString()).isEmpty();
        }
      }
    }
    // The walkthrough's four (with demo --outlier's short-ejection policy), examples/external's
    // ExternalService, VirtualDestination and FailoverPolicy, the two proposals in
    // examples/whatif and examples/traffic-shift's TrafficPolicy.
    assertThat(checked).isEqualTo(10);
  }

  @Test
  void theResourcesTheTestsCreateAreValid() {
    assertThat(crds.validate(Crds.asMap(MeshfedResources.reviewsFailoverService()),
        StructuralValidator.NO_CEL)).isEmpty();
    assertThat(crds.validate(Crds.asMap(MeshfedResources.reviewsOutlierPolicy()),
        StructuralValidator.NO_CEL)).isEmpty();
  }

  /**
   * Gloo's clientMode oneof: the schema takes exactly one of its three empty members and
   * refuses the rest at admission; what it refuses the agent still maps as written, so a
   * resource that reached it some other way (a simulated cluster validates nothing) is INVALID
   * in status by meshfed's validation, never read as auto.
   */
  @Test
  void clientModeTakesExactlyOneOfGloosMembersAndTheAgentCarriesWhatWasWritten() {
    Map<String, Object> base = Map.of("hosts", List.of("reviews.mesh.internal"),
        "services", List.of(Map.of("labels", Map.of("app", "reviews"))),
        "ports", List.of(Map.of("number", 9080, "protocol", "HTTP")));
    for (String member : io.meshfed.rules.model.ClientMode.MEMBERS) {
      GenericKubernetesResource vd = virtualDestination(base, Map.of(member, Map.of()));
      assertThat(crds.validate(Crds.asMap(vd), StructuralValidator.NO_CEL)).as(member).isEmpty();
      assertThat(io.meshfed.agent.publish.PolicyMapping.toEvent(ResourceKind.VirtualDestination,
          vd).getSpec()).isInstanceOfSatisfying(io.meshfed.avro.VirtualDestinationSpec.class,
              spec -> assertThat(spec.getClientMode().getModes()).containsExactly(member));
    }
    GenericKubernetesResource unset = MeshfedResources.resource("VirtualDestination", "global",
        "reviews-vd", base);
    assertThat(crds.validate(Crds.asMap(unset), StructuralValidator.NO_CEL)).isEmpty();
    assertThat(((io.meshfed.avro.VirtualDestinationSpec) io.meshfed.agent.publish.PolicyMapping
        .toEvent(ResourceKind.VirtualDestination, unset).getSpec()).getClientMode()).isNull();

    Map<String, Object> bad = new LinkedHashMap<>();
    bad.put("none", Map.of());
    bad.put("two", Map.of("auto", Map.of(), "sniRouting", Map.of()));
    bad.put("unknown member", Map.of("passthrough", Map.of()));
    bad.put("a member with a field", Map.of("sniRouting", Map.of("port", 15443)));
    bad.put("a string", "sniRouting");
    bad.forEach((what, clientMode) -> assertThat(crds.validate(Crds.asMap(
        virtualDestination(base, clientMode)), StructuralValidator.NO_CEL))
        .as("clientMode " + what + ": the API server refuses it").isNotEmpty());
    assertThat(((io.meshfed.avro.VirtualDestinationSpec) io.meshfed.agent.publish.PolicyMapping
        .toEvent(ResourceKind.VirtualDestination, virtualDestination(base,
            bad.get("two"))).getSpec()).getClientMode().getModes())
        .containsExactlyInAnyOrder("auto", "sniRouting");
    assertThat(((io.meshfed.avro.VirtualDestinationSpec) io.meshfed.agent.publish.PolicyMapping
        .toEvent(ResourceKind.VirtualDestination, virtualDestination(base,
            bad.get("a string"))).getSpec()).getClientMode().getModes()).isEmpty();
  }

  private static GenericKubernetesResource virtualDestination(Map<String, Object> base,
      Object clientMode) {
    Map<String, Object> spec = new LinkedHashMap<>(base);
    spec.put("clientMode", clientMode);
    return MeshfedResources.resource("VirtualDestination", "global", "reviews-vd", spec);
  }

  /**
   * The member kinds' schemas take what {@link ExternalMembers} publishes and refuse at
   * admission what it would refuse to publish, so the API server and the agent agree.
   */
  @Test
  void externalMembersAreValidatedAsTheAgentReadsThem() {
    for (ExternalMembers.Kind kind : ExternalMembers.Kind.values()) {
      GenericKubernetesResource good = MeshfedResources.resource(kind.kind(), "bookinfo",
          "ratings-vms", Map.of("ports", List.of(Map.of("name", "http", "number", 9080,
              "protocol", "http", "targetPort", 8080)), "endpoints", List.of(
                  Map.of("address", "10.10.0.7", "zone", "dc-1a"),
                  Map.of("address", "vm-8.dc.example.com"))));
      assertThat(crds.validate(Crds.asMap(good), StructuralValidator.NO_CEL)).isEmpty();
      assertThat(ExternalMembers.problems(good)).isEmpty();

      Map<String, Map<String, Object>> bad = Map.of(
          "no endpoints", Map.of("ports", List.of(Map.of("name", "http", "number", 9080)),
              "endpoints", List.of()),
          "port 70000", Map.of("ports", List.of(Map.of("name", "http", "number", 70000)),
              "endpoints", List.of(Map.of("address", "10.10.0.7"))),
          "port without name", Map.of("ports", List.of(Map.of("number", 9080)),
              "endpoints", List.of(Map.of("address", "10.10.0.7"))),
          "protocol UDP", Map.of("ports", List.of(Map.of("name", "dns", "number", 53,
              "protocol", "UDP")), "endpoints", List.of(Map.of("address", "10.10.0.7"))),
          "no ports", Map.of("endpoints", List.of(Map.of("address", "10.10.0.7"))),
          "endpoint without address", Map.of("ports", List.of(Map.of("name", "http",
              "number", 9080)), "endpoints", List.of(Map.of("zone", "dc-1a"))));
      bad.forEach((what, spec) -> {
        GenericKubernetesResource r = MeshfedResources.resource(kind.kind(), "bookinfo",
            "ratings-vms", spec);
        assertThat(crds.validate(Crds.asMap(r), StructuralValidator.NO_CEL))
            .as(kind + " " + what + ": the API server refuses it").isNotEmpty();
        assertThat(ExternalMembers.problems(r)).as(kind + " " + what + ": the agent too")
            .isNotEmpty();
      });
    }
  }

  /** A status with every field StatusDocument can write set, for every policy kind. */
  @Test
  void everyStatusTheAgentWritesIsDeclaredInEverySchema() {
    PolicyStatus full = PolicyStatus.newBuilder()
        .setResource(new ResourceRef(ResourceKind.VirtualDestination, "ns", "vd"))
        .setUid("uid").setObservedGeneration(3).setState(ResourceState.WARNING)
        .setValidationErrors(List.of("spec.hosts[0] is required"))
        .setWarnings(List.of("several services match in mgmt-cluster"))
        .setClusters(List.of(
            ClusterApplyStatus.newBuilder().setCluster("mgmt-cluster")
                .setState(ResourceState.ACCEPTED).setAppliedGeneration(3).setAppliedEpoch(7)
                .setLatestEpoch(7).setConditions(List.of(condition("Applied",
                    ConditionStatus.True, "Applied")))
                .build(),
            ClusterApplyStatus.newBuilder().setCluster("remote-cluster")
                .setState(ResourceState.FAILED).setMessage("ServiceEntry exists").build()))
        .setNumSelectedBackingServices(1)
        .setSelectedBackingServices(List.of(new ClusterObjectRef("reviews", "bookinfo",
            "mgmt-cluster")))
        .setAppliedDestinationPolicies(List.of(
            new ResourceRef(ResourceKind.FailoverPolicy, "global", "local-first"),
            new ResourceRef(ResourceKind.OutlierDetectionPolicy, "global", "reviews-outlier")))
        .setConditions(List.of(condition("Valid", ConditionStatus.True, "Valid"),
            condition("Accepted", ConditionStatus.True, "AcceptedWithWarnings"),
            condition("Applied", ConditionStatus.False, "ApplyFailed"),
            condition("Conflict", ConditionStatus.False, "NoConflict")))
        .setMeshes(List.of(MeshApprovalStatus.newBuilder().setMesh("istiod-istio-system-mgmt")
            .setState(ResourceState.FAILED).setErrors(List.of("remote-cluster: ServiceEntry"
                + " exists")).build()))
        .setTime(Instant.parse("2026-11-22T10:00:00Z")).build();
    Map<String, Object> status = StatusDocument.of(full);
    assertThat(status).containsKeys("appliedDestinationPolicies", "numAppliedDestinationPolicies",
        "conditions");
    Map<String, Object> failoverService = StatusDocument.of(PolicyStatus.newBuilder(full)
        .setResource(new ResourceRef(ResourceKind.FailoverService, "ns", "fs")).build());
    assertThat(failoverService).containsKeys("meshes", "conditions");
    List<String> fsErrors = new ArrayList<>();
    validator.validate(statusSchemaOf("FailoverService"), Crds.asMap(Map.of("s",
        failoverService)).get("s"), "status", fsErrors);
    assertThat(fsErrors).isEmpty();
    // A reason the API server's metav1.Condition pattern refuses fails here, not in a cluster.
    List<String> badReason = new ArrayList<>();
    validator.validate(statusSchemaOf("FailoverService"), Crds.asMap(Map.of("s",
        StatusDocument.of(PolicyStatus.newBuilder(full).setConditions(List.of(
            condition("Valid", ConditionStatus.True, "not a reason"))).build()))).get("s"),
        "status", badReason);
    assertThat(badReason).isNotEmpty();
    for (Map<String, Object> crd : crds.all()) {
      @SuppressWarnings("unchecked")
      var spec = (Map<String, Object>) crd.get("spec");
      String kind = (String) ((Map<?, ?>) spec.get("names")).get("kind");
      if (java.util.Arrays.stream(ExternalMembers.Kind.values())
          .anyMatch(k -> k.kind().equals(kind))) {
        // Members are not policies: nothing writes a status to them, and they declare none.
        assertThat(((Map<?, ?>) crds.schema("meshfed.io/v1alpha1", kind).get("properties"))
            .containsKey("status")).as(kind).isFalse();
        continue;
      }
      @SuppressWarnings("unchecked")
      var statusSchema = (Map<String, Object>) ((Map<String, Object>) crds.schema(
          "meshfed.io/v1alpha1", kind).get("properties")).get("status");
      List<String> errors = new ArrayList<>();
      // A TrafficPolicy's status is the agent's own (TrafficPolicyStatus), not a PolicyStatus.
      validator.validate(statusSchema, Crds.asMap(Map.of("s", kind.equals("TrafficPolicy")
          ? trafficPolicyStatus() : status)).get("s"), "status", errors);
      assertThat(errors).as(kind).isEmpty();
      assertThat(statusSchema).as(kind + ": no field may hide behind preserve-unknown-fields")
          .doesNotContainKey("x-kubernetes-preserve-unknown-fields");
    }
    // A policy's status names the destinations it selects (at most 100, and a count); both
    // policy kinds declare them, with the list's bound.
    List<ResourceRef> hundred = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      hundred.add(new ResourceRef(ResourceKind.VirtualDestination, "ns", "vd-" + i));
    }
    for (String kind : List.of("FailoverPolicy", "OutlierDetectionPolicy")) {
      Map<String, Object> policy = StatusDocument.of(PolicyStatus.newBuilder(full)
          .setResource(new ResourceRef(ResourceKind.valueOf(kind), "ns", "p"))
          .setSelectedDestinations(hundred).setNumSelectedDestinations(250).build());
      assertThat(policy).containsEntry("numSelectedDestinations", 250)
          .doesNotContainKey("appliedDestinationPolicies");
      assertThat((List<?>) policy.get("selectedDestinations")).hasSize(100)
          .first().isEqualTo("VirtualDestination/ns/vd-0");
      List<String> errors = new ArrayList<>();
      validator.validate(statusSchemaOf(kind), Crds.asMap(Map.of("s", policy)).get("s"),
          "status", errors);
      assertThat(errors).as(kind).isEmpty();
      List<String> tooMany = new ArrayList<>();
      validator.validate(statusSchemaOf(kind), Crds.asMap(Map.of("s", StatusDocument.of(
          PolicyStatus.newBuilder(full).setResource(new ResourceRef(ResourceKind.valueOf(kind),
              "ns", "p")).setSelectedDestinations(java.util.stream.Stream.concat(
                  hundred.stream(), hundred.stream().limit(1)).toList()).build()))).get("s"),
          "status", tooMany);
      assertThat(tooMany).as(kind + ": 101 names").isNotEmpty();
    }
    for (ResourceState state : ResourceState.values()) {
      List<String> errors = new ArrayList<>();
      validator.validate(statusSchemaOf("FailoverService"), Crds.asMap(Map.of("s",
          StatusDocument.of(PolicyStatus.newBuilder(full).setState(state).build()))).get("s"),
          "status", errors);
      assertThat(errors).as(state.name()).isEmpty();
    }
  }

  /** A TrafficPolicy status with every field: one service shifted, one not. */
  private static Map<String, Object> trafficPolicyStatus() {
    var plan = io.meshfed.rules.shift.TrafficShifts.plan("mgmt-cluster", true, List.of(
        new io.meshfed.rules.shift.TrafficPolicy("bookinfo", "reviews-shift-failover", 2,
            Instant.parse("2026-11-22T10:00:00Z"), List.of(
                new io.meshfed.rules.shift.TrafficPolicy.KubeServiceRef("reviews", "bookinfo",
                    "mgmt-cluster"),
                new io.meshfed.rules.shift.TrafficPolicy.KubeServiceRef("reviews", "bookinfo",
                    "remote-cluster")),
            List.of(new io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef(
                "reviews-failover", "service-mesh-hub")))),
        Map.of(new io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef("reviews-failover",
            "service-mesh-hub"), new io.meshfed.rules.shift.ShiftTarget(
                "reviews-failover.bookinfo.global", 9080, "HTTP")));
    var status = io.meshfed.agent.shift.TrafficPolicyStatus.of(
        plan.verdicts().get("bookinfo/reviews-shift-failover"));
    assertThat(status.get("trafficTargets").toString()).contains("shiftedTo", "message");
    return status;
  }

  private static Condition condition(String type, ConditionStatus status, String reason) {
    return Condition.newBuilder().setType(type).setStatus(status).setReason(reason)
        .setMessage("m").setObservedGeneration(3)
        .setLastTransitionTime(Instant.parse("2026-11-22T10:00:00.123Z")).build();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> statusSchemaOf(String kind) {
    return (Map<String, Object>) ((Map<String, Object>) crds.schema("meshfed.io/v1alpha1", kind)
        .get("properties")).get("status");
  }
}
