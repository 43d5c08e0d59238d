package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * API faults on the way to the cluster — 500s and 409 conflicts — are retried with the
 * agent's backoff (200 ms doubling, 10 tries; here with a recording sleeper) and converge.
 */
class ApiFaultsTest {

  /** The CRUD mock API server, answering the next few writes of a method with an error. */
  static final class FlakyDispatcher extends KubernetesCrudDispatcher {
    final Map<String, AtomicInteger> failuresLeft = new HashMap<>();
    final Map<String, Integer> codes = new HashMap<>();
    /** API groups this "cluster" does not serve (their CRDs are not installed): 404. */
    final List<String> unservedGroups = new ArrayList<>();

    void fail(String method, int code, int times) {
      failuresLeft.put(method, new AtomicInteger(times));
      codes.put(method, code);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (unservedGroups.stream().anyMatch(g -> request.getPath().startsWith("/apis/" + g + "/"))) {
        return new MockResponse().setResponseCode(404).setBody("{\"kind\":\"Status\","
            + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\","
            + "\"code\":404}");
      }
      AtomicInteger left = failuresLeft.get(request.getMethod());
      if (left != null && left.getAndDecrement() > 0) {
        return new MockResponse().setResponseCode(codes.get(request.getMethod()))
            .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                + "\"code\":" + codes.get(request.getMethod()) + "}");
      }
      return super.dispatch(request);
    }
  }

  private FlakyDispatcher dispatcher;
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<Duration> waits = new ArrayList<>();
  private Reconciler reconciler;
  private final IstioApplier applier = new IstioApplier("meshfed");

  @BeforeEach
  void start() {
    dispatcher = new FlakyDispatcher();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init();
    // The agent's own backoff is the only retry: the client's built-in one is switched off.
    client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0)
        .endConfig());
    reconciler = new Reconciler(client, "meshfed", applier.kinds(),
        new Backoff(Duration.ofMillis(200), 10, waits::add));
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void serverErrorsAreRetriedWithDoublingBackoff() throws Exception {
    dispatcher.fail("POST", 500, 3);
    FederatedDestination fd = Destinations.failedOver(1);
    Reconciler.Result result = reconciler.reconcile(fd.getDestination(), applier.desired(fd));
    assertThat(result.created()).isEqualTo(2);
    assertThat(waits).containsExactly(Duration.ofMillis(200), Duration.ofMillis(400),
        Duration.ofMillis(800));
    assertThat(reconciler.allOwned()).hasSize(2);
  }

  @Test
  void aConflictOnUpdateIsRetriedAgainstTheLatestVersion() throws Exception {
    FederatedDestination v1 = Destinations.failedOver(1);
    reconciler.reconcile(v1.getDestination(), applier.desired(v1));
    dispatcher.fail("PUT", 409, 1);
    FederatedDestination v2 = FederatedDestination.newBuilder(v1).setHosts(
        List.of("reviews.other.global")).setEpoch(2).build();
    Reconciler.Result result = reconciler.reconcile(v2.getDestination(), applier.desired(v2));
    assertThat(result.updated()).as("ServiceEntry and DestinationRule").isEqualTo(2);
    assertThat(result.deleted()).as("the DestinationRule keeps its name").isZero();
    assertThat(waits).containsExactly(Duration.ofMillis(200));
    assertThat(reconciler.reconcile(v2.getDestination(), applier.desired(v2)).writes()).isZero();
  }

  @Test
  void afterTenFailuresTheErrorSurfacesForTheNack() {
    dispatcher.fail("POST", 503, 100);
    FederatedDestination fd = Destinations.failedOver(1);
    assertThatThrownBy(() -> reconciler.reconcile(fd.getDestination(), applier.desired(fd)))
        .isInstanceOf(KubernetesClientException.class);
    assertThat(waits).hasSize(9);
    assertThat(waits.get(8)).isEqualTo(Duration.ofMillis(200L << 8));
  }

  @Test
  void aClusterWithoutTheMcsCrdsStillGetsTheServiceAndItsSlices() throws Exception {
    dispatcher.unservedGroups.add("multicluster.x-k8s.io");
    KubernetesApplier kubernetes = new KubernetesApplier("meshfed");
    Reconciler plain = new Reconciler(client, "meshfed", kubernetes.kinds(),
        new Backoff(Duration.ofMillis(200), 10, waits::add));
    FederatedDestination fd = Destinations.failedOver(1);
    Reconciler.Result result = plain.reconcile(fd.getDestination(), kubernetes.desired(fd));
    assertThat(result.created()).as("Service + one slice per source cluster").isEqualTo(3);
    assertThat(plain.allOwned()).extracting(r -> r.getKind())
        .containsExactlyInAnyOrder("Service", "EndpointSlice", "EndpointSlice");
    assertThat(plain.reconcileAll(Map.of(fd.getDestination(), kubernetes.desired(fd))))
        .isEmpty();
    assertThat(waits).as("a 404 is an answer, not a fault to retry").isEmpty();

    // A required kind that is not served still fails the apply, for the nack.
    dispatcher.unservedGroups.add("discovery.k8s.io");
    assertThatThrownBy(() -> plain.reconcile(fd.getDestination(), kubernetes.desired(fd)))
        .isInstanceOf(KubernetesClientException.class);
  }
}
