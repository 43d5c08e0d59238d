package io.meshfed.rules.validation;

import static io.meshfed.rules.Fixtures.reviewsFailover;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.OutlierDetectionSpec;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.PortSpec;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TargetPort;
import io.meshfed.rules.model.TierOrdering;
import io.meshfed.rules.model.VirtualDestinationSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every validation rule of DESIGN.md, each with its exact message. */
class ValidatorTest {

  private static FailoverServiceSpec fs(String hostname, PortSpec port,
      List<BackingService> backing) {
    return new FailoverServiceSpec(hostname, port, List.of(), List.of(), backing);
  }

  private static final List<BackingService> ONE_BACKING =
      List.of(new BackingService("reviews", "bookinfo", "mgmt-cluster"));

  private static VirtualDestinationSpec vd(List<String> hosts, List<Selector> services,
      List<PortMapping> ports) {
    return new VirtualDestinationSpec(hosts, services, List.of(), List.of(), ports, List.of());
  }

  private static final List<PortMapping> HTTP_8080 = List.of(new PortMapping(8080L, "HTTP", null));
  private static final List<Selector> APP_SELECTOR =
      List.of(Selector.byLabels(Map.of("app", "destination-app")));

  @Test
  void theWalkthroughFailoverServiceIsValid() {
    assertThat(Validator.validate(reviewsFailover())).isEqualTo(Findings.NONE);
  }

  @Test
  void missingHostname() {
    assertThat(Validator.validate(fs(null, new PortSpec(80L, "HTTP"), ONE_BACKING)).errors())
        .containsExactly("spec.hostname is required");
  }

  @Test
  void nonDnsHostname() {
    assertThat(Validator.validate(fs("reviews_failover.global", new PortSpec(80L, "HTTP"),
        ONE_BACKING)).errors()).containsExactly("spec.hostname \"reviews_failover.global\" is not"
            + " a valid DNS name: label \"reviews_failover\" must be 1-63 lower-case letters,"
            + " digits or '-', starting and ending with a letter or digit");
  }

  @Test
  void emptyDnsLabel() {
    assertThat(Validator.validate(fs("reviews..global", new PortSpec(80L, "HTTP"), ONE_BACKING))
        .errors()).containsExactly("spec.hostname \"reviews..global\" is not a valid DNS name:"
            + " label \"\" must be 1-63 lower-case letters, digits or '-', starting and ending"
            + " with a letter or digit");
  }

  @Test
  void wildcardHostname() {
    assertThat(Validator.validate(fs("*.bookinfo.global", new PortSpec(80L, "HTTP"), ONE_BACKING))
        .errors()).containsExactly("spec.hostname \"*.bookinfo.global\" must not contain a"
            + " wildcard");
  }

  @Test
  void hostnameLongerThan255() {
    String host = ("a".repeat(60) + ".").repeat(5) + "global"; // 311 characters
    assertThat(Validator.validate(fs(host, new PortSpec(80L, "HTTP"), ONE_BACKING)).errors())
        .containsExactly("spec.hostname \"" + host.substring(0, 37) + "...\" is 311 characters"
            + " long; at most 255 are allowed");
  }

  @Test
  void hostnameOfExactly255IsValid() {
    String host = ("a".repeat(63) + ".").repeat(3) + "b".repeat(63);
    assertThat(host).hasSize(255);
    assertThat(Validator.isValidHostname(host)).isTrue();
  }

  @Test
  void missingPort() {
    assertThat(Validator.validate(fs("a.global", null, ONE_BACKING)).errors())
        .containsExactly("spec.port is required");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, 65536, 100000})
  void portOutsideRange(long number) {
    assertThat(Validator.validate(fs("a.global", new PortSpec(number, "HTTP"), ONE_BACKING))
        .errors()).containsExactly("spec.port.number " + number
            + " is outside the port range 1-65535");
  }

  @Test
  void portBoundsAreValid() {
    assertThat(Validator.validate(fs("a.global", new PortSpec(1L, "TCP"), ONE_BACKING)).errors())
        .isEmpty();
    assertThat(Validator.validate(fs("a.global", new PortSpec(65535L, "TLS"), ONE_BACKING))
        .errors()).isEmpty();
  }

  @Test
  void unknownProtocol() {
    assertThat(Validator.validate(fs("a.global", new PortSpec(80L, "QUIC"), ONE_BACKING))
        .errors()).containsExactly("spec.port.protocol \"QUIC\" is not one of HTTP, HTTPS, GRPC,"
            + " HTTP2, MONGO, TCP, TLS");
  }

  @Test
  void aHugeProtocolIsQuotedAbbreviated() {
    // The bad-resources fault class's 200 KB protocol: the message must stay short.
    assertThat(Validator.validate(fs("a.global", new PortSpec(80L, "P".repeat(200_000)),
        ONE_BACKING)).errors()).containsExactly("spec.port.protocol \"" + "P".repeat(37)
            + "...\" is not one of HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS");
  }

  @Test
  void protocolIsCaseInsensitiveAsInTheWalkthrough() {
    assertThat(Validator.validate(fs("a.global", new PortSpec(80L, "grpc"), ONE_BACKING)).errors())
        .isEmpty();
  }

  @Test
  void noBackingService() {
    assertThat(Validator.validate(fs("a.global", new PortSpec(80L, "HTTP"), List.of())).errors())
        .containsExactly("spec.backingServices must list at least one backing service");
  }

  @Test
  void incompleteAndDuplicateBackingServices() {
    assertThat(Validator.validate(fs("a.global", new PortSpec(80L, "HTTP"), List.of(
        new BackingService("reviews", "bookinfo", null),
        new BackingService("reviews", "bookinfo", "c1"),
        new BackingService("reviews", "bookinfo", "c1")))).errors())
        .containsExactly(
            "spec.backingServices[0].kubeService.clusterName is required",
            "spec.backingServices[2].kubeService \"c1/bookinfo/reviews\" is listed twice; each"
                + " backing service may appear once");
  }

  @Test
  void backingServiceThatDoesNotExistIsAWarningNotAnError() {
    Set<ServiceRef> known = Set.of(new ServiceRef("mgmt-cluster", "bookinfo", "reviews"));
    Findings findings = Validator.resolveReferences(reviewsFailover(), known::contains);
    assertThat(findings.errors()).isEmpty();
    assertThat(findings.warnings()).containsExactly("spec.backingServices[1].kubeService: service"
        + " bookinfo/reviews does not exist in cluster remote-cluster (yet)");
  }

  @Test
  void virtualDestinationNeedsHostsOrSelectors() {
    assertThat(Validator.validate(vd(List.of(), List.of(), HTTP_8080)).errors())
        .containsExactly("spec: at least one of hosts, services, externalServices or"
            + " externalWorkloads must be set");
  }

  @Test
  void virtualDestinationOfTheSeedIsValid() {
    var spec = vd(List.of("destination-app.mesh.internal.com"), APP_SELECTOR,
        List.of(new PortMapping(8080L, "HTTP", new TargetPort(9080L, null))));
    assertThat(Validator.validate(spec)).isEqualTo(Findings.NONE);
  }

  @Test
  void virtualDestinationHostsAreDnsNames() {
    assertThat(Validator.validate(vd(List.of("ok.example", "*.example"), APP_SELECTOR, HTTP_8080))
        .errors()).containsExactly("spec.hosts[1] \"*.example\" must not contain a wildcard");
  }

  @Test
  void virtualDestinationNeedsAPort() {
    assertThat(Validator.validate(vd(List.of("a.example"), APP_SELECTOR, List.of())).errors())
        .containsExactly("spec.ports must list at least one port");
  }

  @Test
  void virtualDestinationPortRangeProtocolAndDuplicates() {
    assertThat(Validator.validate(vd(List.of("a.example"), APP_SELECTOR, List.of(
        new PortMapping(0L, "HTTP", null), new PortMapping(80L, "SMTP", null),
        new PortMapping(80L, "HTTP", null)))).errors()).containsExactly(
            "spec.ports[0].number 0 is outside the port range 1-65535",
            "spec.ports[1].protocol \"SMTP\" is not one of HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP,"
                + " TLS",
            "spec.ports[2].number 80 is listed twice");
  }

  @Test
  void targetPortWithoutBackingSelectors() {
    assertThat(Validator.validate(vd(List.of("a.example"), List.of(),
        List.of(new PortMapping(8080L, "HTTP", new TargetPort(9080L, null))))).errors())
        .containsExactly("spec.ports[0].targetPort is set, but no services, externalServices or"
            + " externalWorkloads select backing services");
  }

  @Test
  void targetPortMustSetExactlyOneOfNumberOrName() {
    assertThat(Validator.validate(vd(List.of("a.example"), APP_SELECTOR,
        List.of(new PortMapping(8080L, "HTTP", new TargetPort(9080L, "http"))))).errors())
        .containsExactly("spec.ports[0].targetPort must set exactly one of number or name");
    assertThat(Validator.validate(vd(List.of("a.example"), APP_SELECTOR,
        List.of(new PortMapping(8080L, "HTTP", new TargetPort(70000L, null))))).errors())
        .containsExactly("spec.ports[0].targetPort.number 70000 is outside the port range"
            + " 1-65535");
  }

  @Test
  void failoverPolicyRules() {
    var spec = new FailoverPolicySpec(List.of(), TierOrdering.CLUSTER_ORDER, List.of(),
        List.of("c1", "c1"), Map.of("c1", 0), 0, -5L);
    assertThat(Validator.validate(spec).errors()).containsExactly(
        "spec.destinations must select at least one destination",
        "spec.clusterOrder[1] \"c1\" is listed twice",
        "spec.weights[c1] 0 must be a positive integer",
        "spec.failoverThresholdPercent 0 is outside 1-100",
        "spec.minHealthyDurationMillis -5 must not be negative");
    var labels = new FailoverPolicySpec(APP_SELECTOR, TierOrdering.PRIORITY_LABELS, List.of(),
        List.of(), Map.of(), null, null);
    assertThat(Validator.validate(labels).errors()).containsExactly("spec.priorityLabels must"
        + " list at least one label when ordering is PRIORITY_LABELS");
    var order = new FailoverPolicySpec(APP_SELECTOR, TierOrdering.CLUSTER_ORDER, List.of(),
        List.of(), Map.of(), null, null);
    assertThat(Validator.validate(order).errors()).containsExactly("spec.clusterOrder must list"
        + " at least one cluster when ordering is CLUSTER_ORDER");
  }

  @Test
  void outlierDetectionPolicyRules() {
    var spec = new OutlierDetectionSpec(List.of(), 0, 0L, -1L, 101);
    assertThat(Validator.validate(spec).errors()).containsExactly(
        "spec.destinations must select at least one destination",
        "spec.outlierDetection.consecutiveErrors 0 must be at least 1",
        "spec.outlierDetection.intervalMillis 0 must be positive",
        "spec.outlierDetection.baseEjectionTimeMillis -1 must be positive",
        "spec.outlierDetection.maxEjectionPercent 101 is outside 0-100");
    assertThat(Validator.validate(new OutlierDetectionSpec(APP_SELECTOR, 1, null, null, null)))
        .isEqualTo(Findings.NONE);
  }

  /**
   * Absurd resources are INVALID with one short message, before anything is stored: a
   * FailoverService with 10,000 backing services once made a 1.5 MB decision state that stopped
   * the topology.
   */
  @Test
  void absurdSizesAreInvalidWithOneBoundedMessage() {
    List<BackingService> tenThousand = java.util.stream.IntStream.range(0, 10_000)
        .mapToObj(i -> new BackingService("svc-" + i, "ns", "cluster-" + i)).toList();
    Findings backing = Validator.validate(fs("a.example.com", new PortSpec(80L, "HTTP"),
        tenThousand));
    assertThat(backing.errors()).containsExactly("spec.backingServices lists 10000 backing"
        + " services; at most 1000 are allowed");
    List<BackingService> atLimit = tenThousand.subList(0, Validator.MAX_BACKING_SERVICES);
    assertThat(Validator.validate(fs("a.example.com", new PortSpec(80L, "HTTP"), atLimit)))
        .isEqualTo(Findings.NONE);

    List<String> hosts = java.util.stream.IntStream.range(0, 5_000)
        .mapToObj(i -> "h" + i + ".example.com").toList();
    assertThat(Validator.validate(vd(hosts, APP_SELECTOR, HTTP_8080)).errors())
        .containsExactly("spec.hosts lists 5000 entries; at most 100 are allowed");

    String huge = "x".repeat(900_000);
    Findings longName = Validator.validate(fs("a.example.com", new PortSpec(80L, "HTTP"),
        List.of(new BackingService(huge, "ns", "c1"))));
    assertThat(longName.errors()).singleElement().asString()
        .startsWith("spec.backingServices[0].kubeService.name \"xxx")
        .contains("is 900000 characters long; at most 253 are allowed")
        .hasSizeLessThan(200);
  }

  @Test
  void findingsKeepTwentyMessagesAndCountTheRest() {
    List<BackingService> nameless = java.util.stream.IntStream.range(0, 500)
        .mapToObj(i -> new BackingService("", "ns", "c" + i)).toList();
    Findings findings = Validator.validate(fs("a.example.com", new PortSpec(80L, "HTTP"),
        nameless));
    assertThat(findings.errors()).hasSize(Findings.MAX_MESSAGES + 1);
    assertThat(findings.errors().get(Findings.MAX_MESSAGES)).isEqualTo("... and 480 more errors");
  }
}
