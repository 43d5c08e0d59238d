package io.meshfed.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Paths and context tokens: accepted forms and the precise message for each malformed one. */
class RequestParsingTest {

  @Test
  void aPathIsHostAndPortWithAnOptionalTierPrefix() {
    Authority a = Authority.parse("Reviews-Failover.bookinfo.global:9080");
    assertThat(a).isEqualTo(new Authority("reviews-failover.bookinfo.global", 9080));
    assertThat(a.tier()).isEqualTo(-1);
    Authority tier = a.ofTier(1);
    assertThat(tier.toString()).isEqualTo("tier-1.reviews-failover.bookinfo.global:9080");
    assertThat(Authority.parse(tier.toString()).tier()).isEqualTo(1);
    assertThat(Authority.parse(tier.toString()).destinationHost())
        .isEqualTo("reviews-failover.bookinfo.global");
  }

  @Test
  void malformedPathsAreRejectedNamingTheProblem() {
    assertThatThrownBy(() -> Authority.parse("")).hasMessageContaining("path is empty");
    assertThatThrownBy(() -> Authority.parse("a.b")).hasMessageContaining("has no port");
    assertThatThrownBy(() -> Authority.parse("a.b:x")).hasMessageContaining("'x' is not a number");
    assertThatThrownBy(() -> Authority.parse("a.b:0")).hasMessageContaining("outside 1-65535");
    assertThatThrownBy(() -> Authority.parse("a_b:80")).hasMessageContaining("not a DNS name");
  }

  @Test
  void aTokenNamesTheClientClusterOrFallsBackToTheServerDefault() {
    assertThat(ContextToken.parse("{\"cluster\":\"east\",\"ns\":\"bookinfo\"}", null).cluster())
        .isEqualTo("east");
    assertThat(ContextToken.parse("{\"ns\":\"bookinfo\",\"nodeName\":\"n1\"}", "west").cluster())
        .isEqualTo("west");
    assertThat(ContextToken.parse("", "west").cluster()).isEqualTo("west");
  }

  @Test
  void malformedTokensAreRejectedNamingTheProblem() {
    assertThatThrownBy(() -> ContextToken.parse("{", null)).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> ContextToken.parse("\"east\"", null))
        .hasMessageContaining("must be a JSON object");
    assertThatThrownBy(() -> ContextToken.parse("{\"cluster\":7}", null))
        .hasMessageContaining("must be a string");
    assertThatThrownBy(() -> ContextToken.parse("{\"cluster\":\"East_1\"}", null))
        .hasMessageContaining("not a valid cluster name");
    assertThatThrownBy(() -> ContextToken.parse("", null))
        .hasMessageContaining("names no client cluster");
  }

  @Test
  void eachDestinationPortResolvesToEachEndpointsOwnPort() {
    var one = UpdatePlannerTest.destination("HTTP", List.of(List.of("10.0.0.1=60", "10.1.0.1=40")));
    var endpoints = one.getTiers().get(0).getEndpoints();
    var fd = io.meshfed.avro.FederatedDestination.newBuilder(one)
        .setPorts(List.of(new io.meshfed.avro.DestinationPort(9080, "HTTP", 9080),
            new io.meshfed.avro.DestinationPort(8443, "GRPC", 9091)))
        .setTiers(List.of(new io.meshfed.avro.DestinationTier(0, 100, List.of(), List.of(
            io.meshfed.avro.WeightedEndpoint.newBuilder(endpoints.get(0))
                .setPorts(List.of(9080, 9091)).build(),
            io.meshfed.avro.WeightedEndpoint.newBuilder(endpoints.get(1))
                .setPorts(List.of(9080, 9092)).build()))))
        .build();
    Authority grpc = Authority.parse("reviews.global:8443");
    assertThat(Resolution.of(grpc, List.of(fd)).orElseThrow().addrs().keySet())
        .containsExactly("10.0.0.1:9091", "10.1.0.1:9092");
    Authority http = Authority.parse("reviews.global:9080");
    assertThat(Resolution.of(http, List.of(fd)).orElseThrow().addrs().keySet())
        .containsExactly("10.0.0.1:9080", "10.1.0.1:9080");
  }

  @Test
  void tcpAndTlsPortsAreOpaqueInTheProfile() {
    for (String protocol : List.of("TCP", "tls")) {
      var fd = UpdatePlannerTest.destination(protocol, List.of(List.of("10.0.0.1=100")));
      Authority a = Authority.parse("reviews.global:9080");
      assertThat(ProfilePlanner.profile(a, Resolution.of(a, List.of(fd))).getOpaqueProtocol())
          .as(protocol).isTrue();
    }
    assertThat(ProfilePlanner.profile(Authority.parse("x.y:1"), Optional.empty())
        .getRetryBudget()).isEqualTo(ProfilePlanner.RETRY_BUDGET);
  }

  @Test
  void longInputsAreQuotedByTheirStartAndLengthAndMessagesAreBounded() {
    String host = "a".repeat(100_000);
    assertThatThrownBy(() -> Authority.parse(host + ":80"))
        .hasMessageStartingWith("path '" + "a".repeat(StatusMessages.MAX_QUOTED) + "…'"
            + " (100003 chars): host '")
        .hasMessageEndingWith("(100000 chars) is not a DNS name")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThanOrEqualTo(
            StatusMessages.MAX_MESSAGE));
    // Short inputs are quoted whole, as before.
    assertThatThrownBy(() -> Authority.parse("a_b:80"))
        .hasMessage("path 'a_b:80': host 'a_b' is not a DNS name");
    String long300 = "x".repeat(300);
    assertThat(StatusMessages.bound(long300)).hasSize(StatusMessages.MAX_MESSAGE)
        .endsWith("… (300 chars)").startsWith("xxx");
    assertThat(StatusMessages.bound("short")).isEqualTo("short");
  }

  @Test
  void theParentRefCarriesNamespaceAndNameInTheirOwnFields() {
    var fd = UpdatePlannerTest.destination("HTTP", List.of(List.of("10.0.0.1=100")));
    Authority a = Authority.parse("reviews.global:9080");
    var resource = ProfilePlanner.profile(a, Resolution.of(a, List.of(fd))).getParentRef()
        .getResource();
    assertThat(resource.getGroup()).isEqualTo("meshfed.io");
    assertThat(resource.getKind()).isEqualTo("FailoverService");
    assertThat(resource.getNamespace()).isEqualTo("mesh");
    assertThat(resource.getName()).isEqualTo("reviews");
  }
}
