package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second {@code meshfed up} on the same directory resumes the first one's state: the broker's
 * topics and offsets, the registry's schemas, the topology's stores, and the simulated clusters'
 * objects. The decision log continues with the next epoch rather than starting over.
 */
class ResumeTest {

  private static final String DESTINATION = "FailoverService/service-mesh-hub/reviews-failover";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  private EmbeddedStack.Settings settings() {
    // Heartbeat TTL well above the restart time, so this test of resuming does not also rest on
    // the rule that excuses a stack's own downtime (topology/DESIGN.md, "Time"; tested there).
    return new EmbeddedStack.Settings(dir, List.of("mgmt-cluster", "remote-cluster"),
        Duration.ofSeconds(1), Duration.ofSeconds(120), 0);
  }

  @Test
  void aSecondStartOnTheSameDirectoryResumesObjectsStoresAndTheDecisionLog() throws Exception {
    assertThat(EmbeddedStack.isResumable(dir)).isFalse();
    List<Long> epochsBefore;
    String kubeconfigBefore;
    JsonNode statusBefore;
    try (EmbeddedStack first = EmbeddedStack.start(settings())) {
      var mgmt = first.cluster("mgmt-cluster");
      mgmt.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
      mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
      var remote = first.cluster("remote-cluster");
      remote.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
      remote.endpoints("bookinfo", "reviews", 9080, true, "10.1.0.21");
      try (InputStream yaml = Files.newInputStream(
          Path.of("..", "examples", "walkthrough", "failover-service.yaml"))) {
        EmbeddedStack.apply(mgmt, yaml);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> !epochs(first).isEmpty());
      mgmt.endpoints("bookinfo", "reviews", 9080, false, "10.0.0.11", "10.0.0.12");
      await().atMost(Duration.ofSeconds(30)).until(() -> reasons(first)
          .contains("TIER_UNHEALTHY"));
      epochsBefore = epochs(first);
      statusBefore = await().atMost(Duration.ofSeconds(30)).until(() -> get(first,
          "/v1/failover-services/service-mesh-hub/reviews-failover").path("status"),
          status -> List.of("ACCEPTED", "WARNING").contains(status.path("state").asText()));
      kubeconfigBefore = Files.readString(first.kubeconfig("mgmt-cluster"));
      // Istio's restart epochs: an agent's first start is epoch 0 (issue #18).
      await().atMost(Duration.ofSeconds(30)).until(() -> get(first, "/v1/clusters/mgmt-cluster")
          .path("agentRestartEpoch").asLong(), epoch -> epoch == 0);
    }
    assertThat(EmbeddedStack.isResumable(dir)).isTrue();

    try (EmbeddedStack second = EmbeddedStack.start(settings())) {
      // Objects came back in the simulated clusters, on the same API port.
      assertThat(second.cluster("mgmt-cluster").restored()).isPositive();
      assertThat(Files.readString(second.kubeconfig("mgmt-cluster"))).isEqualTo(kubeconfigBefore);
      assertThat(second.cluster("mgmt-cluster").readyAddresses("bookinfo")).isEmpty();
      // The restarted agent is epoch 1: its heartbeats say so, and its acks are fenced by it.
      await().atMost(Duration.ofSeconds(60)).until(() -> get(second,
          "/v1/clusters/mgmt-cluster").path("agentRestartEpoch").asLong(), epoch -> epoch == 1);
      // Stores came back: the failover service and the decision log answer without new input.
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        JsonNode fs = get(second, "/v1/failover-services/service-mesh-hub/reviews-failover");
        // Acks may have raised appliedEpoch since; the rest of the status is as it was.
        for (String field : List.of("state", "observedGeneration", "warnings",
            "selectedBackingServices")) {
          assertThat(fs.path("status").path(field)).isEqualTo(statusBefore.path(field));
        }
        assertThat(epochs(second)).containsExactlyElementsOf(epochsBefore);
      });
      // New decisions continue the log: the restore is decided with the next epoch.
      second.cluster("mgmt-cluster").endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11",
          "10.0.0.12");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        List<Long> now = epochs(second);
        assertThat(now).hasSizeGreaterThan(epochsBefore.size());
        assertThat(now.subList(now.size() - epochsBefore.size(), now.size()))
            .containsExactlyElementsOf(epochsBefore);
        assertThat(now.get(0)).isEqualTo(epochsBefore.get(0) + (now.size() - epochsBefore.size()));
      });
    }
  }

  /** Epochs of the destination's logged decisions, newest first. */
  private List<Long> epochs(EmbeddedStack stack) throws Exception {
    JsonNode answer = get(stack, "/v1/decisions?limit=100&destination=" + DESTINATION);
    List<Long> epochs = new ArrayList<>();
    answer.path("items").forEach(d -> epochs.add(d.path("epoch").asLong()));
    return epochs;
  }

  private List<String> reasons(EmbeddedStack stack) throws Exception {
    JsonNode answer = get(stack, "/v1/decisions?limit=100&destination=" + DESTINATION);
    List<String> reasons = new ArrayList<>();
    answer.path("items").forEach(d -> reasons.add(d.path("reasonCode").asText()));
    return reasons;
  }

  private JsonNode get(EmbeddedStack stack, String path) throws Exception {
    // The stack is secured (the default): a resumed one keeps its tokens and admin password.
    String token = stack.queryToken(io.meshfed.query.QueryAccess.Role.READ);
    assertThat(token).as("a secured stack's read token").isNotNull();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create(stack.queryUrl() + path)).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofString());
    // Not 401/403: a refused token would look like an empty answer to the waits below.
    assertThat(response.statusCode()).as(response.body()).isNotIn(401, 403);
    return JSON.readTree(response.body());
  }
}
