package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.agent.schema.Crds;
import io.meshfed.agent.schema.StructuralValidator;
import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PolicyStatus records become the resources' status subresource on the mock API server. */
@EnableKubernetesMockClient(crud = true)
class StatusWriterTest {

  static KubernetesClient client;

  private static final Map<String, Object> VALID_SPEC = Map.of("hostname", "x.global",
      "port", Map.of("number", 9080, "protocol", "HTTP"),
      "backingServices", List.of(Map.of("kubeService", Map.of("name", "reviews",
          "namespace", "bookinfo", "clusterName", "mgmt-cluster"))));

  @org.junit.jupiter.api.BeforeAll
  static void installCrds() throws Exception {
    // The mock API server serves the status subresource for kinds whose CRD declares it.
    try (var in = new java.io.FileInputStream("deploy/base/crds.yaml")) {
      for (Object crd : (List<?>) io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition)
                crd).create();
      }
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void statusIsWrittenToTheStatusSubresource() {
    var ops = client.genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("smh");
    GenericKubernetesResource fs = new GenericKubernetesResource();
    fs.setApiVersion("meshfed.io/v1alpha1");
    fs.setKind("FailoverService");
    fs.setMetadata(new ObjectMetaBuilder().withName("bad").withNamespace("smh")
        .withUid("uid-bad").build());
    // A spec a real API server admits (the mock server would take anything).
    fs.setAdditionalProperty("spec", VALID_SPEC);
    // The API server assigns the uid; the status must name the same one.
    String uid = ops.resource(fs).create().getMetadata().getUid();

    new StatusWriter(client).accept(PolicyStatus.newBuilder()
        .setResource(new ResourceRef(ResourceKind.FailoverService, "smh", "bad"))
        .setUid(uid).setObservedGeneration(1).setState(ResourceState.INVALID)
        .setValidationErrors(List.of("spec.hostname \"x.global\" is claimed by smh/older"))
        .setClusters(List.of(ClusterApplyStatus.newBuilder().setCluster("mgmt-cluster")
            .setState(ResourceState.PENDING).build()))
        .setTime(Instant.now()).build());

    Map<String, Object> status = (Map<String, Object>) ops.withName("bad").get()
        .getAdditionalProperties().get("status");
    assertThat(status).containsEntry("state", "INVALID")
        .containsEntry("validationErrors",
            List.of("spec.hostname \"x.global\" is claimed by smh/older"));
    assertThat((Map<String, Object>) status.get("clusters")).containsKey("mgmt-cluster");
    // What a real API server would store: the whole object, status included, fits the CRD.
    assertThat(Crds.load(Path.of("deploy/base/crds.yaml")).validate(
        Crds.asMap(ops.withName("bad").get()), StructuralValidator.NO_CEL)).isEmpty();
  }

  @Test
  void aStatusForAnotherUidIsSkipped() {
    var ops = client.genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("smh");
    GenericKubernetesResource fs = new GenericKubernetesResource();
    fs.setApiVersion("meshfed.io/v1alpha1");
    fs.setKind("FailoverService");
    fs.setMetadata(new ObjectMetaBuilder().withName("recreated").withNamespace("smh")
        .withUid("uid-new").build());
    fs.setAdditionalProperty("spec", VALID_SPEC);
    ops.resource(fs).create();
    new StatusWriter(client).accept(PolicyStatus.newBuilder()
        .setResource(new ResourceRef(ResourceKind.FailoverService, "smh", "recreated"))
        .setUid("uid-old").setObservedGeneration(1).setState(ResourceState.ACCEPTED)
        .setTime(Instant.now()).build());
    assertThat(ops.withName("recreated").get().getAdditionalProperties()).doesNotContainKey(
        "status");
  }
}
