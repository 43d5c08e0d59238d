package io.meshfed.agent.publish;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.MemberKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The ExternalService and ExternalWorkload resources (members outside Kubernetes, declared in
 * the cluster) → the ServiceSnapshot of their kind and the EndpointSnapshot the agent
 * publishes, exactly as for a Service and its EndpointSlices, so the topology treats a VM like
 * a pod: selected by a VirtualDestination's {@code externalServices} / {@code externalWorkloads},
 * ejected by outlier detection from HealthSignals.
 *
 * <p>Unlike a policy, a member has no validation in the topology and no status: a resource that
 * cannot be read (no port, a port number out of range, no endpoint) is not published at all —
 * publishing half of it would route traffic to a port nobody named. {@link #problems} names
 * what is wrong, for {@code meshfed apply} to refuse the file and for the agent's warning. The
 * CRD's schema rejects the same at admission on a real API server.
 */
public final class ExternalMembers {

  private ExternalMembers() {}

  /** The member kinds, with the snapshot kind each is published as. */
  public enum Kind {
    EXTERNAL_SERVICE("ExternalService", "externalservices", MemberKind.EXTERNAL_SERVICE),
    EXTERNAL_WORKLOAD("ExternalWorkload", "externalworkloads", MemberKind.EXTERNAL_WORKLOAD);

    private final String kind;
    private final String plural;
    private final MemberKind memberKind;

    Kind(String kind, String plural, MemberKind memberKind) {
      this.kind = kind;
      this.plural = plural;
      this.memberKind = memberKind;
    }

    public String kind() {
      return kind;
    }

    public MemberKind memberKind() {
      return memberKind;
    }

    public ResourceDefinitionContext context() {
      return new ResourceDefinitionContext.Builder().withGroup("meshfed.io")
          .withVersion("v1alpha1").withKind(kind).withPlural(plural).withNamespaced(true)
          .build();
    }
  }

  /** The most endpoints one resource may list (the CRD's maxItems, an EndpointSlice's limit). */
  static final int MAX_ENDPOINTS = 1000;
  static final int MAX_PORTS = 100;

  /** What is wrong with {@code r}, one sentence per field; empty when it can be published. */
  public static List<String> problems(GenericKubernetesResource r) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
    List<?> ports = list(spec.get("ports"));
    if (ports.isEmpty()) {
      problems.add("spec.ports: at least one port is required");
    } else if (ports.size() > MAX_PORTS) {
      problems.add("spec.ports: " + ports.size() + " ports, at most " + MAX_PORTS);
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < Math.min(ports.size(), MAX_PORTS); i++) {
      Map<String, Object> p = map(ports.get(i));
      String at = "spec.ports[" + i + "]";
      Object name = p.get("name");
      if (name == null || name.toString().isBlank()) {
        problems.add(at + ".name is required");
      } else if (!names.add(name.toString())) {
        problems.add(at + ".name: " + name + " is used twice");
      }
      port(p.get("number"), at + ".number", true, problems);
      port(p.get("targetPort"), at + ".targetPort", false, problems);
      Object protocol = p.get("protocol");
      if (protocol != null && !protocol.toString().matches(
          "(?i)HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS")) {
        problems.add(at + ".protocol: " + protocol
            + " is not one of HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS");
      }
    }
    List<?> endpoints = list(spec.get("endpoints"));
    if (endpoints.isEmpty()) {
      problems.add("spec.endpoints: at least one endpoint is required");
    } else if (endpoints.size() > MAX_ENDPOINTS) {
      problems.add("spec.endpoints: " + endpoints.size() + " endpoints, at most "
          + MAX_ENDPOINTS);
    }
    for (int i = 0; i < Math.min(endpoints.size(), MAX_ENDPOINTS); i++) {
      Object address = map(endpoints.get(i)).get("address");
      if (address == null || address.toString().isBlank()) {
        problems.add("spec.endpoints[" + i + "].address is required");
      } else if (address.toString().length() > 253 || address.toString().contains(" ")) {
        problems.add("spec.endpoints[" + i + "].address: not an IP address or DNS name");
      }
    }
    return problems;
  }

  /** The ServiceSnapshot of a resource {@link #problems} found nothing wrong with. */
  public static ServiceSnapshot service(Kind kind, GenericKubernetesResource r) {
    var meta = r.getMetadata();
    List<ServicePort> ports = new ArrayList<>();
    for (Object o : list(map(r.getAdditionalProperties().get("spec")).get("ports"))) {
      Map<String, Object> p = map(o);
      Object protocol = p.get("protocol");
      // A Kubernetes Service port's protocol is L4 (TCP); the application protocol is what
      // the resource names, lower case as Kubernetes' appProtocol conventionally is.
      ports.add(new ServicePort(p.get("name").toString(), number(p.get("number")), "TCP",
          protocol == null ? null : protocol.toString().toLowerCase(Locale.ROOT)));
    }
    return ServiceSnapshot.newBuilder().setNamespace(meta.getNamespace())
        .setName(meta.getName()).setUid(Objects.requireNonNullElse(meta.getUid(), ""))
        .setCreationTimestamp(meta.getCreationTimestamp() == null ? Instant.EPOCH
            : Instant.parse(meta.getCreationTimestamp()))
        .setLabels(meta.getLabels() == null ? Map.of() : meta.getLabels())
        .setPorts(ports).setKind(kind.memberKind()).build();
  }

  /**
   * The EndpointSnapshot: every endpoint ready and serving (a declared machine is there until
   * outlier detection says otherwise), listening on each port's targetPort (else its number).
   */
  public static EndpointSnapshot endpoints(GenericKubernetesResource r) {
    Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
    List<EndpointPort> ports = new ArrayList<>();
    for (Object o : list(spec.get("ports"))) {
      Map<String, Object> p = map(o);
      Object protocol = p.get("protocol");
      ports.add(new EndpointPort(p.get("name").toString(),
          number(p.get("targetPort") != null ? p.get("targetPort") : p.get("number")), "TCP",
          protocol == null ? null : protocol.toString().toLowerCase(Locale.ROOT)));
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (Object o : list(spec.get("endpoints"))) {
      Map<String, Object> e = map(o);
      endpoints.add(Endpoint.newBuilder().setAddresses(List.of(e.get("address").toString()))
          .setReady(true).setServing(true).setTerminating(false)
          .setZone(e.get("zone") == null ? null : e.get("zone").toString()).build());
    }
    endpoints.sort(Comparator.comparing(e -> e.getAddresses().get(0)));
    return EndpointSnapshot.newBuilder().setNamespace(r.getMetadata().getNamespace())
        .setServiceName(r.getMetadata().getName()).setPorts(ports).setEndpoints(endpoints)
        .build();
  }

  private static void port(Object value, String field, boolean required,
      List<String> problems) {
    if (value == null) {
      if (required) {
        problems.add(field + " is required");
      }
      return;
    }
    long n;
    try {
      java.math.BigDecimal exact = new java.math.BigDecimal(value.toString().trim());
      n = exact.stripTrailingZeros().scale() > 0 ? -1 : exact.longValue();
      if (exact.compareTo(java.math.BigDecimal.valueOf(65535)) > 0) {
        n = -1;
      }
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > 65535) {
      problems.add(field + ": " + value + " is not a port number (1 to 65535)");
    }
  }

  private static int number(Object value) {
    return new java.math.BigDecimal(value.toString().trim()).intValueExact();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }
}
