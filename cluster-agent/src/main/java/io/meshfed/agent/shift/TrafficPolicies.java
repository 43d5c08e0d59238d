package io.meshfed.agent.shift;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.rules.shift.TrafficPolicy;
import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;
import io.meshfed.rules.shift.TrafficPolicy.KubeServiceRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TrafficPolicy resource ({@code meshfed.io/v1alpha1}, the guide's
 * {@code networking.smh.solo.io/v1alpha2} shape for {@code destinationSelector[].kubeServiceRefs}
 * and {@code trafficShift}) read into the rules' model. Missing or mistyped fields become nulls,
 * which {@code TrafficShifts.validate} reports; reading never throws.
 */
public final class TrafficPolicies {

  public static final ResourceDefinitionContext CRD = new ResourceDefinitionContext.Builder()
      .withGroup("meshfed.io").withVersion("v1alpha1").withKind("TrafficPolicy")
      .withPlural("trafficpolicies").withNamespaced(true).build();

  private TrafficPolicies() {}

  public static TrafficPolicy read(GenericKubernetesResource r) {
    var meta = r.getMetadata();
    Map<?, ?> spec = map(r.getAdditionalProperties().get("spec"));
    List<KubeServiceRef> services = new ArrayList<>();
    for (Object selector : list(spec.get("destinationSelector"))) {
      for (Object service : list(map(map(selector).get("kubeServiceRefs")).get("services"))) {
        Map<?, ?> s = map(service);
        services.add(new KubeServiceRef(text(s.get("name")), text(s.get("namespace")),
            text(s.get("clusterName"))));
      }
    }
    List<FailoverServiceRef> shiftTo = new ArrayList<>();
    for (Object destination : list(map(spec.get("trafficShift")).get("destinations"))) {
      Object fs = map(destination).get("failoverService");
      shiftTo.add(fs == null ? null
          : new FailoverServiceRef(text(map(fs).get("name")), text(map(fs).get("namespace"))));
    }
    Instant created = meta.getCreationTimestamp() == null ? Instant.EPOCH
        : Instant.parse(meta.getCreationTimestamp());
    long generation = meta.getGeneration() == null ? 0 : meta.getGeneration();
    return new TrafficPolicy(meta.getNamespace(), meta.getName(), generation, created, services,
        shiftTo);
  }

  private static Map<?, ?> map(Object value) {
    return value instanceof Map<?, ?> m ? m : Map.of();
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  private static String text(Object value) {
    return value instanceof String s ? s : null;
  }
}
