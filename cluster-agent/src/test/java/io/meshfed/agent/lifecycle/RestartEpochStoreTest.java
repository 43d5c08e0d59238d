package io.meshfed.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

/** Restart epochs as the Istio proxy agent seed defines them, kept in a ConfigMap. */
@EnableKubernetesMockClient(crud = true)
class RestartEpochStoreTest {

  KubernetesClient client;

  private String recorded(String key) {
    return client.configMaps().inNamespace("meshfed").withName(RestartEpochStore.NAME).get()
        .getData().get(key);
  }

  @Test
  void firstStartIsZeroEachAnnouncedStartAddsOneAndAFailedStartIsReused() {
    RestartEpochStore first = new RestartEpochStore(client, "meshfed");
    assertThat(first.begin()).isZero();
    assertThat(recorded("announced")).isEqualTo("false");
    first.announced();
    assertThat(recorded("announced")).isEqualTo("true");

    RestartEpochStore second = new RestartEpochStore(client, "meshfed");
    assertThat(second.begin()).isEqualTo(1);
    // The second start fails before its first heartbeat: the third start reuses epoch 1.
    RestartEpochStore third = new RestartEpochStore(client, "meshfed");
    assertThat(third.begin()).isEqualTo(1);
    third.announced();
    assertThat(new RestartEpochStore(client, "meshfed").begin()).isEqualTo(2);
    assertThat(recorded("epoch")).isEqualTo("2");
  }

  @Test
  void aDamagedRecordStartsOverAtZeroAndTheAgentKeepsRunning() {
    client.configMaps().inNamespace("meshfed").resource(new ConfigMapBuilder().withNewMetadata()
        .withName(RestartEpochStore.NAME).endMetadata().addToData("epoch", "many")
        .addToData("announced", "true").build()).create();
    assertThat(new RestartEpochStore(client, "meshfed").begin()).isZero();
    assertThat(recorded("epoch")).isEqualTo("0");
  }
}
