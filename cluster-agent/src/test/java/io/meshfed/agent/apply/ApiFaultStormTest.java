package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshfed.avro.FederatedDestination;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fault suite's Kubernetes API class at the agent's apply path: a CRUD mock API server that
 * answers every second update with 409 Conflict and every third other request with, in turn,
 * 429 Too Many Requests with Retry-After, 500, and no answer at all (a hanging server: the
 * client's request timeout ends the wait, though the server did the work) — at least 50 of
 * each — while epochs of one destination are applied one after another. Every epoch must be applied (none lost to a fault), each 429 must be waited
 * out for at least its Retry-After, and the end state must be the last epoch's.
 */
class ApiFaultStormTest {

  static final List<String> KINDS = List.of("409", "429", "500", "hang");
  static final int EPOCHS = 400;
  static final int RETRY_AFTER_SECONDS = 2;

  /**
   * Every second update answered 409 Conflict; every third other request (not watches)
   * answered with the next of 429, 500 and no answer, in turn.
   */
  static final class Storm extends KubernetesCrudDispatcher {
    final AtomicLong puts = new AtomicLong();
    final AtomicLong others = new AtomicLong();
    final Map<String, AtomicInteger> injected = new ConcurrentHashMap<>();
    volatile boolean on;

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (!on || request.getPath().contains("watch=true")) {
        return super.dispatch(request);
      }
      String kind;
      if (request.getMethod().equals("PUT")) {
        if (puts.incrementAndGet() % 2 != 0) {
          return super.dispatch(request);
        }
        kind = "409";
      } else {
        long n = others.incrementAndGet();
        if (n % 3 != 0) {
          return super.dispatch(request);
        }
        kind = List.of("429", "500", "hang").get((int) ((n / 3) % 3));
      }
      injected.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
      return switch (kind) {
        case "429" -> status(429, "TooManyRequests", ",\"details\":{\"retryAfterSeconds\":"
            + RETRY_AFTER_SECONDS + "}").setHeader("Retry-After", RETRY_AFTER_SECONDS);
        // The server does the work and the answer never comes: a create or update that
        // happened although the client saw a timeout.
        case "hang" -> super.dispatch(request).setBodyDelay(Duration.ofMinutes(10));
        default -> status(Integer.parseInt(kind), kind.equals("409") ? "Conflict"
            : "InternalError", "");
      };
    }

    private static MockResponse status(int code, String reason, String extra) {
      return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\","
          + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"" + reason + "\","
          + "\"code\":" + code + extra + "}");
    }
  }

  private Storm storm;
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<Duration> waits = new ArrayList<>();
  private final IstioApplier applier = new IstioApplier("meshfed");

  @BeforeEach
  void start() {
    storm = new Storm();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        storm, false);
    server.init();
    // The agent's backoff is the only retry; a request that gets no answer ends after 500 ms
    // (fifty of them cost 25 s of the build). 150 ms was too short for a loaded machine: slow
    // answers timed out too, ten times in a row.
    client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0)
        .withRequestTimeout(500).endConfig());
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void everyEpochIsAppliedThroughFiftyOfEachFaultAndRetryAfterIsHonoured() throws Exception {
    // The recording sleeper: the waits are checked, not spent.
    Reconciler reconciler = new Reconciler(client, "meshfed", applier.kinds(),
        new Backoff(Duration.ofMillis(200), 10, waits::add));
    storm.on = true;
    int failedEpochs = 0;
    FederatedDestination last = null;
    for (int epoch = 1; epoch <= EPOCHS && !enough(); epoch++) {
      last = FederatedDestination.newBuilder(Destinations.failedOver(epoch))
          .setHosts(List.of("reviews-" + epoch + ".global")).build();
      try {
        reconciler.reconcile(last.getDestination(), applier.desired(last));
      } catch (Exception e) {
        // Ten faults in a row on one write: the follower acks FAILED and tries again (every
        // 30 s; here at once), until it lands.
        failedEpochs++;
        FederatedDestination again = last;
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
            .until(() -> reconciler.reconcile(again.getDestination(),
                applier.desired(again)) != null);
      }
    }
    storm.on = false;
    for (String kind : KINDS) {
      assertThat(storm.injected.getOrDefault(kind, new AtomicInteger()).get()).as(kind)
          .isGreaterThanOrEqualTo(50);
    }
    // Converged: exactly the last epoch's objects, nothing of an earlier one.
    List<GenericKubernetesResource> owned = reconciler.allOwned();
    assertThat(owned).hasSize(applier.desired(last).size());
    String lastHost = last.getHosts().get(0);
    assertThat(owned).allSatisfy(r -> assertThat(String.valueOf(
        r.getAdditionalProperties().get("spec"))).contains(lastHost));
    assertThat(reconciler.reconcile(last.getDestination(), applier.desired(last)).writes())
        .as("nothing left to write").isZero();
    // A 429's Retry-After is waited out, never less.
    long atLeastRetryAfter = waits.stream()
        .filter(w -> w.compareTo(Duration.ofSeconds(RETRY_AFTER_SECONDS)) >= 0).count();
    assertThat(atLeastRetryAfter).isGreaterThanOrEqualTo(
        storm.injected.get("429").get() - failedEpochs);
    assertThat(failedEpochs).as("epochs that needed the follower's second try").isLessThan(5);
  }

  private boolean enough() {
    return KINDS.stream().allMatch(k -> storm.injected.getOrDefault(k, new AtomicInteger())
        .get() >= 50);
  }
}
