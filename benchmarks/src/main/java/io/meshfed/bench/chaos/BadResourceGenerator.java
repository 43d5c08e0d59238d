package io.meshfed.bench.chaos;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.agent.shift.TrafficPolicies;
import io.meshfed.avro.ResourceKind;
import io.meshfed.topology.Bookinfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The bad resources of the {@code bad-resources} fault class: every kind the agent watches
 * (FailoverService, VirtualDestination, FailoverPolicy, OutlierDetectionPolicy, TrafficPolicy),
 * broken in every way its validation names — missing required fields, wrong types, out-of-range
 * numbers, hostile strings (control characters, bidi overrides, astral characters, path
 * traversal, YAML/JSON injection, RE2-breaking patterns), duplicates, a claim on the good
 * destination's hostname, and absurd sizes (10,000 backing services or selected services, a
 * 200 KB protocol, a 1.1 MB hostname). Policies that are bad select the good destination where
 * they can, so one that were applied would change its decisions, which the oracle sees.
 *
 * <p>Each carries the state it must end in and a fragment its status message must contain:
 * INVALID and the field at fault — except a TrafficPolicy shifting to a FailoverService that does
 * not exist, which the design keeps a WARNING ("nothing is shifted (yet)": the FailoverService
 * may not have arrived), as it keeps a missing backing service a WARNING.
 */
final class BadResourceGenerator {

  static final String NAMESPACE = "bad-resources";
  /** The good destination the bad policies select and one bad FailoverService claims. */
  static final String GOOD_NAME = "reviews-failover";
  static final String GOOD_NAMESPACE = "service-mesh-hub";
  static final String GOOD_HOST = "reviews-failover.bookinfo.global";

  /** A bad resource: where it lives, what it is, and what its status must say. */
  record Bad(String category, ResourceDefinitionContext crd, GenericKubernetesResource resource,
      String expectedState, String expectedFragment) {

    String name() {
      return resource.getMetadata().getName();
    }

    String key() {
      return crd.getKind() + "/" + name();
    }

    /**
     * This resource without its spec, for remembering what was sent: the harness keeps one
     * per resource until its status is judged, and 10,000 whole ones (the absurd among them:
     * a million-character hostname, 10,000 backing services) took a heap the stack needs.
     */
    Bad withoutSpec() {
      GenericKubernetesResource r = new GenericKubernetesResource();
      r.setApiVersion(resource.getApiVersion());
      r.setKind(resource.getKind());
      r.setMetadata(resource.getMetadata());
      return new Bad(category, crd, r, expectedState, expectedFragment);
    }

    /** The category label the generator puts on it; null on a resource without it. */
    String categoryLabel() {
      Map<String, String> labels = resource.getMetadata().getLabels();
      return labels == null ? null : labels.get(CATEGORY_LABEL);
    }
  }

  private record Category(String name, String kind, String state, String fragment,
      IntFunction<Map<String, Object>> spec) {}

  /** Strings an attacker would write into a field; none is a valid DNS name. */
  static final List<String> HOSTILE = List.of("../../etc/passwd", "a\u0000b.global",
      "\u202eevil.global", "x: [y]\n{z", "caf\u00e9.global", "\"},{\"$ne\":1}",
      "*.global", "\uD835\uDD18nicode.global", "line\r\nbreak.global", "(a+)+$[.global",
      "'; DROP TABLE destinations; --", "${jndi:ldap://x/a}.global", "UPPER.global",
      "-lead.global", "a..b.global", "\t.global");

  private static final List<Category> REGULAR = List.of(
      fs("fs-missing-hostname", "spec.hostname is required", i -> {
        Map<String, Object> s = fsSpec(i);
        s.remove("hostname");
        return s;
      }),
      fs("fs-port-out-of-range", "spec.port.number", i -> with(fsSpec(i), "port",
          Map.of("number", 65_536 + i, "protocol", "http"))),
      fs("fs-port-not-a-number", "spec.port.number", i -> with(fsSpec(i), "port",
          Map.of("number", "nine-thousand-" + i, "protocol", "http"))),
      fs("fs-protocol-unknown", "spec.port.protocol", i -> with(fsSpec(i), "port",
          Map.of("number", 9080, "protocol", HOSTILE.get(i % HOSTILE.size())))),
      fs("fs-hostname-hostile", "spec.hostname", i -> with(fsSpec(i), "hostname",
          HOSTILE.get(i % HOSTILE.size()))),
      fs("fs-hostname-claimed", "is already claimed", i -> with(fsSpec(i), "hostname",
          GOOD_HOST)),
      fs("fs-no-backing-services", "spec.backingServices must list", i -> with(fsSpec(i),
          "backingServices", List.of())),
      fs("fs-backing-listed-twice", "is listed twice", i -> with(fsSpec(i), "backingServices",
          List.of(kube("reviews", "bookinfo", Bookinfo.MGMT),
              kube("reviews", "bookinfo", Bookinfo.MGMT)))),
      fs("fs-backing-incomplete", "clusterName is required", i -> with(fsSpec(i),
          "backingServices", List.of(Map.of("kubeService",
              Map.of("name", "reviews", "namespace", "bookinfo"))))),
      fs("fs-wrong-types", "spec.port is required", i -> {
        Map<String, Object> s = fsSpec(i);
        s.put("port", "9080/" + i);
        s.put("backingServices", Map.of("kubeService", "reviews"));
        s.put("meshes", "not-a-list");
        return s;
      }),
      fs("fs-threshold-out-of-range", "spec.failoverThresholdPercent",
          i -> with(fsSpec(i), "failoverThresholdPercent", 101 + i)),
      vd("vd-nothing-set", "spec: at least one of hosts", i -> new LinkedHashMap<>(
          Map.of("clusters", List.of(Bookinfo.MGMT)))),
      vd("vd-no-ports", "spec.ports must list", i -> {
        Map<String, Object> s = vdSpec(i);
        s.remove("ports");
        return s;
      }),
      vd("vd-port-listed-twice", "is listed twice", i -> with(vdSpec(i), "ports",
          List.of(Map.of("number", 9080, "protocol", "http"),
              Map.of("number", 9080, "protocol", "tcp")))),
      vd("vd-target-port-both", "exactly one of number or name", i -> with(vdSpec(i), "ports",
          List.of(Map.of("number", 9080, "protocol", "http",
              "targetPort", Map.of("number", 9080, "name", "http"))))),
      vd("vd-host-hostile", "spec.hosts[0]", i -> with(vdSpec(i), "hosts",
          List.of(HOSTILE.get(i % HOSTILE.size())))),
      vd("vd-port-negative", "spec.ports[0].number", i -> with(vdSpec(i), "ports",
          List.of(Map.of("number", -1 - i, "protocol", "http")))),
      vd("vd-too-many-hosts", "spec.hosts lists 150 entries", i -> {
        List<String> hosts = new ArrayList<>();
        for (int h = 0; h < 150; h++) {
          hosts.add("h" + h + ".vd-" + i + ".bad.global");
        }
        return with(vdSpec(i), "hosts", hosts);
      }),
      fp("fp-no-destinations", "spec.destinations must select", i -> new LinkedHashMap<>(
          Map.of("weights", Map.of(Bookinfo.MGMT, 10)))),
      fp("fp-weight-negative", "must be a positive integer", i -> with(policySpec(),
          "weights", Map.of(Bookinfo.MGMT, -1 - i % 100, Bookinfo.REMOTE, 100))),
      fp("fp-cluster-order-twice", "is listed twice", i -> {
        Map<String, Object> s = policySpec();
        s.put("ordering", "CLUSTER_ORDER");
        s.put("clusterOrder", List.of(Bookinfo.REMOTE, Bookinfo.REMOTE, Bookinfo.MGMT));
        return s;
      }),
      fp("fp-priority-labels-missing", "spec.priorityLabels must list", i -> with(policySpec(),
          "ordering", "PRIORITY_LABELS")),
      fp("fp-damping-negative", "must not be negative", i -> with(policySpec(),
          "minHealthyDuration", "-" + (1 + i % 60) + "s")),
      fp("fp-threshold-zero", "spec.failoverThresholdPercent", i -> with(policySpec(),
          "failoverThresholdPercent", 0)),
      odp("odp-no-destinations", "spec.destinations must select", i -> new LinkedHashMap<>(
          Map.of("outlierDetection", Map.of("consecutiveErrors", 5)))),
      odp("odp-consecutive-errors-zero", "consecutiveErrors 0", i -> with(policySpec(),
          "outlierDetection", Map.of("consecutiveErrors", 0))),
      odp("odp-max-ejection-out-of-range", "maxEjectionPercent", i -> with(policySpec(),
          "outlierDetection", Map.of("maxEjectionPercent", 101 + i % 1000))),
      odp("odp-interval-not-a-duration", "intervalMillis", i -> with(policySpec(),
          "outlierDetection", Map.of("interval", "soon" + HOSTILE.get(i % HOSTILE.size())))),
      odp("odp-base-ejection-zero", "baseEjectionTimeMillis 0", i -> with(policySpec(),
          "outlierDetection", Map.of("baseEjectionTime", "0s"))),
      tp("tp-no-services", "must select at least one service", i -> with(tpSpec(i),
          "destinationSelector", List.of())),
      tp("tp-two-destinations", "lists 2 destinations", i -> with(tpSpec(i), "trafficShift",
          Map.of("destinations", List.of(shiftTo(GOOD_NAME), shiftTo(GOOD_NAME))))),
      tp("tp-failover-service-missing", "failoverService is required", i -> with(tpSpec(i),
          "trafficShift", Map.of("destinations", List.of(Map.of("weight", 100))))),
      tp("tp-service-incomplete", "clusterName", i -> with(tpSpec(i), "destinationSelector",
          List.of(Map.of("kubeServiceRefs", Map.of("services",
              List.of(Map.of("name", "reviews", "namespace", "bookinfo"))))))),
      new Category("tp-failover-service-nonexistent", "TrafficPolicy", "WARNING",
          "it does not exist", i -> with(tpSpec(i), "trafficShift", Map.of("destinations",
              List.of(shiftTo("nonexistent-" + i))))));

  /** Absurd sizes, one in every {@link #ABSURD_EVERY} resources, in turn. */
  private static final List<Category> ABSURD = List.of(
      fs("fs-10000-backing-services", "spec.backingServices lists 10000", i -> {
        List<Object> backing = new ArrayList<>();
        for (int b = 0; b < 10_000; b++) {
          backing.add(kube("s" + b, "bookinfo", Bookinfo.MGMT));
        }
        return with(fsSpec(i), "backingServices", backing);
      }),
      fs("fs-200kb-protocol", "spec.port.protocol", i -> with(fsSpec(i), "port",
          Map.of("number", 9080, "protocol", "P".repeat(200_000)))),
      tp("tp-10000-nameless-services", "name is required", i -> {
        List<Object> services = new ArrayList<>();
        for (int s = 0; s < 10_000; s++) {
          services.add(Map.of("namespace", "bookinfo", "clusterName", Bookinfo.MGMT));
        }
        return with(tpSpec(i), "destinationSelector",
            List.of(Map.of("kubeServiceRefs", Map.of("services", services))));
      }),
      // Larger than a Kafka record may be (1 MiB): the agent cannot publish it, and writes it
      // INVALID itself, as designed (cluster-agent/DESIGN.md): "spec: the resource is too
      // large to publish to Kafka (...); make it smaller" — no validation ever sees the field.
      fs("fs-1mb-hostname", "too large to publish to Kafka", i -> with(fsSpec(i), "hostname",
          "h".repeat(1_100_000))));

  static final int ABSURD_EVERY = 500;

  /** The label naming a generated resource's category. */
  static final String CATEGORY_LABEL = "category";

  /** The i-th bad resource (deterministic), one in {@code absurdEvery} absurd. */
  static Bad next(int i, int absurdEvery) {
    Category c = i % absurdEvery == absurdEvery - 1
        ? ABSURD.get((i / absurdEvery) % ABSURD.size())
        : REGULAR.get(i % REGULAR.size());
    String name = "bad-" + i + "-" + c.name();
    ResourceDefinitionContext crd = c.kind().equals("TrafficPolicy") ? TrafficPolicies.CRD
        : ClusterPublisher.crd(ResourceKind.valueOf(c.kind()));
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("meshfed.io/v1alpha1");
    r.setKind(crd.getKind());
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE)
        .withLabels(Map.of("meshfed.io/chaos", "bad-resources", CATEGORY_LABEL, c.name())).build());
    r.setAdditionalProperty("spec", c.spec().apply(i));
    return new Bad(c.name(), crd, r, c.state(), c.fragment());
  }

  /** The categories in the order they are generated, for the report. */
  static List<String> categories() {
    List<String> out = new ArrayList<>();
    REGULAR.forEach(c -> out.add(c.name()));
    ABSURD.forEach(c -> out.add(c.name()));
    return out;
  }

  private static Category fs(String name, String fragment,
      IntFunction<Map<String, Object>> spec) {
    return new Category(name, "FailoverService", "INVALID", fragment, spec);
  }

  private static Category vd(String name, String fragment,
      IntFunction<Map<String, Object>> spec) {
    return new Category(name, "VirtualDestination", "INVALID", fragment, spec);
  }

  private static Category fp(String name, String fragment,
      IntFunction<Map<String, Object>> spec) {
    return new Category(name, "FailoverPolicy", "INVALID", fragment, spec);
  }

  private static Category odp(String name, String fragment,
      IntFunction<Map<String, Object>> spec) {
    return new Category(name, "OutlierDetectionPolicy", "INVALID", fragment, spec);
  }

  private static Category tp(String name, String fragment,
      IntFunction<Map<String, Object>> spec) {
    return new Category(name, "TrafficPolicy", "INVALID", fragment, spec);
  }

  private static Map<String, Object> with(Map<String, Object> spec, String field, Object value) {
    spec.put(field, value);
    return spec;
  }

  /** A valid FailoverService spec of a hostname of its own, which each category breaks. */
  private static Map<String, Object> fsSpec(int i) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("hostname", "fs-" + i + ".bad.global");
    s.put("port", Map.of("number", 9080, "protocol", "http"));
    s.put("backingServices", List.of(kube("reviews", "bookinfo", Bookinfo.MGMT),
        kube("reviews", "bookinfo", Bookinfo.REMOTE)));
    return s;
  }

  private static Map<String, Object> vdSpec(int i) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("hosts", List.of("vd-" + i + ".bad.global"));
    s.put("services", List.of(Map.of("name", "reviews", "namespace", "bookinfo")));
    s.put("ports", List.of(Map.of("number", 9080, "protocol", "http")));
    return s;
  }

  /** A policy selecting the good destination: applied by mistake, it would change decisions. */
  private static Map<String, Object> policySpec() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("destinations", List.of(Map.of("name", GOOD_NAME, "namespace", GOOD_NAMESPACE)));
    return s;
  }

  private static Map<String, Object> tpSpec(int i) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("destinationSelector", List.of(Map.of("kubeServiceRefs", Map.of("services",
        List.of(Map.of("name", "reviews", "namespace", "bookinfo", "clusterName",
            Bookinfo.MGMT))))));
    s.put("trafficShift", Map.of("destinations", List.of(shiftTo(GOOD_NAME))));
    return s;
  }

  private static Map<String, Object> shiftTo(String failoverService) {
    return Map.of("failoverService", Map.of("name", failoverService,
        "namespace", GOOD_NAMESPACE));
  }

  private static Map<String, Object> kube(String name, String namespace, String cluster) {
    return Map.of("kubeService", Map.of("name", name, "namespace", namespace,
        "clusterName", cluster));
  }
}
