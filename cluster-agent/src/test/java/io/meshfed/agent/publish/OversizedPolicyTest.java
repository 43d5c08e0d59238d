package io.meshfed.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.agent.MeshfedResources;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceKind;
import io.meshfed.topics.EventKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A FailoverService larger than a Kafka record (found by the bad-resources fault class: a 1.1 MB
 * hostname) used to be retried every second forever, the resource never got a status and the
 * agent reported Kafka degraded. It is tried once, withdrawn with a tombstone, and INVALID.
 */
@EnableKubernetesMockClient(crud = true)
class OversizedPolicyTest {

  static KubernetesClient client;

  /** Refuses records whose hostname is over 1,000 characters, as the producer refuses 1 MiB. */
  static final class SizeLimitedProducer extends MockProducer<String, SpecificRecord> {
    final AtomicInteger refused = new AtomicInteger();

    @SuppressWarnings("unchecked")
    SizeLimitedProducer() {
      super(true, null, new StringSerializer(), (Serializer<SpecificRecord>) (t, v) -> null);
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<String, SpecificRecord> r,
        Callback callback) {
      if (r.value() instanceof PolicyEvent p && p.getSpec() instanceof
          io.meshfed.avro.FailoverServiceSpec s && s.getHostname().length() > 1_000) {
        refused.incrementAndGet();
        var e = new RecordTooLargeException("The message is 1100321 bytes when serialized which"
            + " is larger than 1048576, which is the value of the max.request.size"
            + " configuration.");
        callback.onCompletion(null, e);
        return CompletableFuture.failedFuture(e);
      }
      return super.send(r, callback);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aPolicyTooLargeForKafkaIsWithdrawnAndInvalidNotRetriedForever() throws Exception {
    try (var in = new java.io.FileInputStream("deploy/base/crds.yaml")) {
      for (Object crd : (List<?>) io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition)
                crd).create();
      }
    }
    SizeLimitedProducer producer = new SizeLimitedProducer();
    ClusterPublisher publisher = new ClusterPublisher(client, producer,
        new ClusterPublisher.Settings("mgmt-cluster", "events", true, "test", "us-east-1",
            List.of("us-east-1a"), Map.of(), MeshKind.ISTIO, Duration.ofHours(1),
            Duration.ofMinutes(5), Duration.ofMillis(100)), Clock.systemUTC()).start();
    try {
      GenericKubernetesResource huge = MeshfedResources.resource("FailoverService", "smh", "huge",
          Map.of("hostname", "h".repeat(1_100_000),
              "port", Map.of("number", 9080, "protocol", "http"),
              "backingServices", List.of(Map.of("kubeService", Map.of("name", "reviews",
                  "namespace", "bookinfo", "clusterName", "mgmt-cluster")))));
      client.genericKubernetesResources(ClusterPublisher.crd(ResourceKind.FailoverService))
          .inNamespace("smh").resource(huge).create();

      var ops = client.genericKubernetesResources(
          ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("smh").withName("huge");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Map<String, Object> status = (Map<String, Object>) ops.get().getAdditionalProperties()
            .get("status");
        assertThat(status).containsEntry("state", "INVALID");
        assertThat((List<String>) status.get("validationErrors")).singleElement()
            .asString().startsWith("spec: the resource is too large to publish to Kafka (The"
                + " message is 1100321 bytes").endsWith("); make it smaller")
            .hasSizeLessThan(500);
      });
      // Tried once, not every retry delay (100 ms) forever; withdrawn with a tombstone.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
          .until(() -> producer.refused.get() == 1);
      String key = EventKeys.policy("mgmt-cluster", ResourceKind.FailoverService, "smh", "huge");
      assertThat(producer.history()).filteredOn(r -> key.equals(r.key()))
          .singleElement().satisfies(r -> assertThat(r.value()).isNull());
      assertThat(publisher.isKafkaHealthy()).isTrue();
    } finally {
      publisher.close();
    }
  }
}
