package io.meshfed.agent;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;

/** meshfed custom resources as a user would apply them: the walkthrough's two. */
public final class MeshfedResources {

  private MeshfedResources() {}

  public static GenericKubernetesResource resource(String kind, String namespace, String name,
      Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("meshfed.io/v1alpha1");
    r.setKind(kind);
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
        .withGeneration(1L).withCreationTimestamp("2026-11-22T09:00:00Z").build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  /** reviews on mgmt-cluster first, remote-cluster second. */
  public static GenericKubernetesResource reviewsFailoverService() {
    return resource("FailoverService", "service-mesh-hub", "reviews-failover", Map.of(
        "hostname", "reviews-failover.bookinfo.global",
        "port", Map.of("number", 9080, "protocol", "http"),
        "backingServices", List.of(
            Map.of("kubeService", Map.of("name", "reviews", "namespace", "bookinfo",
                "clusterName", "mgmt-cluster")),
            Map.of("kubeService", Map.of("name", "reviews", "namespace", "bookinfo",
                "clusterName", "remote-cluster")))));
  }

  /** consecutiveErrors 1 for reviews-failover, as in the walkthrough. */
  public static GenericKubernetesResource reviewsOutlierPolicy() {
    return resource("OutlierDetectionPolicy", "service-mesh-hub", "mgmt-reviews-outlier",
        Map.of("destinations", List.of(Map.of("name", "reviews-failover")),
            "outlierDetection", Map.of("consecutiveErrors", 1)));
  }
}
