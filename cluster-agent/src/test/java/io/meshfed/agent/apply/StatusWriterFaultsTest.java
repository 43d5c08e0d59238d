package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import java.io.FileInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A status write meets the API faults every other call of the agent is retried through: it
 * must land after them, with the agent's backoff. Found by the fault suite's api-faults class
 * (the status writer tried once, and a 429 or 500 lost the status until the topology wrote
 * another).
 */
class StatusWriterFaultsTest {

  private ApiFaultsTest.FlakyDispatcher dispatcher;
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<Duration> waits = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dispatcher = new ApiFaultsTest.FlakyDispatcher();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init();
    client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0)
        .endConfig());
    // The mock API server serves the status subresource for kinds whose CRD declares it.
    try (var in = new FileInputStream("deploy/base/crds.yaml")) {
      for (Object crd : (List<?>) Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((CustomResourceDefinition) crd).create();
      }
    }
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @ParameterizedTest
  @CsvSource({"GET, 500", "GET, 429", "PUT, 409", "PUT, 503"})
  @SuppressWarnings("unchecked")
  void aStatusIsWrittenThroughTransientFaults(String method, int code) {
    var ops = client.genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("smh");
    GenericKubernetesResource fs = new GenericKubernetesResource();
    fs.setApiVersion("meshfed.io/v1alpha1");
    fs.setKind("FailoverService");
    fs.setMetadata(new ObjectMetaBuilder().withName("flaky").withNamespace("smh").build());
    fs.setAdditionalProperty("spec", Map.of("hostname", "x.global"));
    String uid = ops.resource(fs).create().getMetadata().getUid();

    dispatcher.fail(method, code, 2);
    new StatusWriter(client, new Backoff(Duration.ofMillis(200), 5, waits::add))
        .accept(PolicyStatus.newBuilder()
            .setResource(new ResourceRef(ResourceKind.FailoverService, "smh", "flaky"))
            .setUid(uid).setObservedGeneration(1).setState(ResourceState.ACCEPTED)
            .setTime(Instant.now()).build());

    Map<String, Object> status = (Map<String, Object>) ops.withName("flaky").get()
        .getAdditionalProperties().get("status");
    assertThat(status).as("written after two %s %d", method, code)
        .containsEntry("state", "ACCEPTED");
    assertThat(waits).containsExactly(Duration.ofMillis(200), Duration.ofMillis(400));
  }
}
