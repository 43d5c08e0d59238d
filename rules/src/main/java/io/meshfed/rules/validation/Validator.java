package io.meshfed.rules.validation;

import io.meshfed.rules.model.ClientMode;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.OutlierDetectionSpec;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.PortSpec;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TargetPort;
import io.meshfed.rules.model.TierOrdering;
import io.meshfed.rules.model.VirtualDestinationSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Spec validation of every federation kind. Spec errors are INVALID; references that do not
 * resolve yet are WARNINGs, re-evaluated when the service appears ({@link #resolveReferences}).
 * Cross-resource hostname conflicts are {@link HostnameClaims}'s job.
 */
public final class Validator {

  /** Protocols a listening port may use (Service Mesh Hub's list), compared case-insensitively. */
  public static final List<String> PROTOCOLS =
      List.of("HTTP", "HTTPS", "GRPC", "HTTP2", "MONGO", "TCP", "TLS");

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final int MAX_HOSTNAME = 255;
  private static final int MAX_LABEL = 63;

  /**
   * Size limits. A resource's spec, its status and the decision state kept for it travel as
   * single Kafka records (1 MiB by default); an absurd resource — a FailoverService with 10,000
   * backing services made a 1.5 MB decision state whose changelog write failed — must be INVALID
   * before it reaches a store, not stop the topology. The limits are far above what the seed APIs
   * are used for (one backing service per cluster, a handful of hosts and ports) and sized for a
   * 1,000-cluster fleet.
   */
  public static final int MAX_BACKING_SERVICES = 1_000;
  public static final int MAX_HOSTS = 100;
  public static final int MAX_PORTS = 100;
  public static final int MAX_SELECTORS = 1_000;
  public static final int MAX_CLUSTERS = 1_000;
  public static final int MAX_PRIORITY_LABELS = 32;
  /** Kubernetes object names (DNS-1123 subdomain) and cluster names. */
  public static final int MAX_NAME = 253;

  /** The warning of a VirtualDestination with hosts and no backing selectors. */
  public static final String HOSTS_ONLY = "spec: only hosts are set; no services,"
      + " externalServices or externalWorkloads select backing services, so nothing routes"
      + " these hosts (Gloo Mesh pairs such a VirtualDestination with a RouteTable; meshfed has"
      + " none)";

  /**
   * The error of a VirtualDestination asking for Gloo's {@code tlsTermination}. INVALID, not a
   * WARNING served as something else: any other translation changes what the user chose it for —
   * SNI routing cannot reach members without sidecars, and plaintext would drop the encryption
   * Gloo keeps between the clusters.
   */
  public static final String TLS_TERMINATION = "spec.clientMode.tlsTermination cannot be"
      + " served: Gloo Mesh terminates TLS at an east-west gateway and meshfed has none (clients"
      + " reach the members' endpoints directly), so it could only send cross-cluster traffic"
      + " in plaintext; use sniRouting (Istio mutual TLS to each member's sidecar) or auto";

  private Validator() {}

  /** Validates the spec of any kind. */
  public static Findings validate(Resource resource) {
    if (resource instanceof Resource.FailoverService fs) {
      return validate(fs.spec());
    } else if (resource instanceof Resource.VirtualDestination vd) {
      return validate(vd.spec());
    } else if (resource instanceof Resource.FailoverPolicy fp) {
      return validate(fp.spec());
    }
    return validate(((Resource.OutlierDetectionPolicy) resource).spec());
  }

  static Findings validate(FailoverServiceSpec spec) {
    Findings.Builder out = new Findings.Builder();
    hostname("spec.hostname", spec.hostname(), out);
    PortSpec port = spec.port();
    if (port == null) {
      out.error("spec.port is required");
    } else {
      portNumber("spec.port.number", port.number(), out);
      protocol("spec.port.protocol", port.protocol(), out);
    }
    failoverThreshold(spec.failoverThresholdPercent(), out);
    if (!atMost("spec.meshes", spec.meshes(), MAX_CLUSTERS, out)) {
      return out.build();
    }
    if (spec.backingServices().isEmpty()) {
      out.error("spec.backingServices must list at least one backing service");
    }
    if (spec.backingServices().size() > MAX_BACKING_SERVICES) {
      out.error("spec.backingServices lists " + spec.backingServices().size()
          + " backing services; at most " + MAX_BACKING_SERVICES + " are allowed");
      return out.build();
    }
    Set<ServiceRef> seen = new HashSet<>();
    for (int i = 0; i < spec.backingServices().size(); i++) {
      BackingService backing = spec.backingServices().get(i);
      String field = "spec.backingServices[" + i + "].kubeService";
      if (backing == null) {
        out.error(field + " is required");
        continue;
      }
      boolean complete = required(field + ".name", backing.name(), out)
          & required(field + ".namespace", backing.namespace(), out)
          & required(field + ".clusterName", backing.clusterName(), out);
      complete = complete && (name(field + ".name", backing.name(), out)
          & name(field + ".namespace", backing.namespace(), out)
          & name(field + ".clusterName", backing.clusterName(), out));
      if (complete && !seen.add(backing.ref())) {
        out.error(field + " \"" + backing.ref() + "\" is listed twice; each backing service"
            + " may appear once");
      }
    }
    return out.build();
  }

  static Findings validate(VirtualDestinationSpec spec) {
    Findings.Builder out = new Findings.Builder();
    if (spec.hosts().isEmpty() && !spec.hasBackingSelectors()) {
      out.error("spec: at least one of hosts, services, externalServices or externalWorkloads"
          + " must be set");
    }
    if (!atMost("spec.hosts", spec.hosts(), MAX_HOSTS, out)
        | !atMost("spec.ports", spec.ports(), MAX_PORTS, out)
        | !atMost("spec.services", spec.services(), MAX_SELECTORS, out)
        | !atMost("spec.externalServices", spec.externalServices(), MAX_SELECTORS, out)
        | !atMost("spec.externalWorkloads", spec.externalWorkloads(), MAX_SELECTORS, out)
        | !atMost("spec.clusters", spec.clusters(), MAX_CLUSTERS, out)) {
      return out.build();
    }
    for (int i = 0; i < spec.hosts().size(); i++) {
      hostname("spec.hosts[" + i + "]", spec.hosts().get(i), out);
    }
    if (!spec.hosts().isEmpty() && !spec.hasBackingSelectors()) {
      // The seed allows it only beside a RouteTable, which meshfed does not have.
      out.warning(HOSTS_ONLY);
    }
    if (spec.ports().isEmpty()) {
      out.error("spec.ports must list at least one port");
    }
    clientMode(spec.clientMode(), out);
    Set<Long> numbers = new HashSet<>();
    for (int i = 0; i < spec.ports().size(); i++) {
      PortMapping mapping = spec.ports().get(i);
      String field = "spec.ports[" + i + "]";
      if (mapping == null) {
        out.error(field + " is required");
        continue;
      }
      portNumber(field + ".number", mapping.number(), out);
      protocol(field + ".protocol", mapping.protocol(), out);
      if (mapping.number() != null && !numbers.add(mapping.number())) {
        out.error(field + ".number " + mapping.number() + " is listed twice");
      }
      TargetPort target = mapping.targetPort();
      if (target != null) {
        if (!spec.hasBackingSelectors()) {
          out.error(field + ".targetPort is set, but no services, externalServices or"
              + " externalWorkloads select backing services");
        }
        if ((target.number() == null) == (target.name() == null || target.name().isEmpty())) {
          out.error(field + ".targetPort must set exactly one of number or name");
        } else if (target.number() != null) {
          portNumber(field + ".targetPort.number", target.number(), out);
        }
      }
    }
    return out.build();
  }

  /**
   * Gloo's {@code clientMode} is a oneof: exactly one known member, and not the one meshfed
   * cannot serve ({@link #TLS_TERMINATION}). Absent ({@code null}) is auto.
   */
  private static void clientMode(List<String> members, Findings.Builder out) {
    if (members == null) {
      return;
    }
    String known = String.join(", ", ClientMode.MEMBERS);
    boolean allKnown = true;
    for (String member : members) {
      if (ClientMode.ofMember(member) == null) {
        allKnown = false;
        out.error("spec.clientMode." + abbreviate(String.valueOf(member)) + " is not a client"
            + " mode; Gloo Mesh's ClientMode has " + known);
      }
    }
    if (members.isEmpty()) {
      out.error("spec.clientMode sets none of " + known + "; set exactly one, or leave"
          + " clientMode out for auto");
    } else if (members.size() > 1 && allKnown) {
      out.error("spec.clientMode sets " + String.join(" and ", members) + "; it is a oneof:"
          + " set exactly one of " + known);
    } else if (members.size() == 1
        && ClientMode.ofMember(members.get(0)) == ClientMode.TLS_TERMINATION) {
      out.error(TLS_TERMINATION);
    }
  }

  static Findings validate(FailoverPolicySpec spec) {
    Findings.Builder out = new Findings.Builder();
    if (!atMost("spec.destinations", spec.destinations(), MAX_SELECTORS, out)
        | !atMost("spec.priorityLabels", spec.priorityLabels(), MAX_PRIORITY_LABELS, out)
        | !atMost("spec.clusterOrder", spec.clusterOrder(), MAX_CLUSTERS, out)
        | !atMost("spec.weights", List.copyOf(spec.weights().keySet()), MAX_CLUSTERS, out)) {
      return out.build();
    }
    if (spec.destinations().isEmpty()) {
      out.error("spec.destinations must select at least one destination");
    }
    if (spec.ordering() == TierOrdering.PRIORITY_LABELS && spec.priorityLabels().isEmpty()) {
      out.error("spec.priorityLabels must list at least one label when ordering is"
          + " PRIORITY_LABELS");
    }
    if (spec.ordering() == TierOrdering.CLUSTER_ORDER) {
      if (spec.clusterOrder().isEmpty()) {
        out.error("spec.clusterOrder must list at least one cluster when ordering is"
            + " CLUSTER_ORDER");
      }
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < spec.clusterOrder().size(); i++) {
        String cluster = spec.clusterOrder().get(i);
        if (!seen.add(cluster)) {
          out.error("spec.clusterOrder[" + i + "] \"" + abbreviate(cluster)
              + "\" is listed twice");
        }
      }
    }
    for (Map.Entry<String, Integer> weight : spec.weights().entrySet()) {
      if (weight.getValue() == null || weight.getValue() < 1) {
        out.error("spec.weights[" + abbreviate(weight.getKey()) + "] " + weight.getValue()
            + " must be a positive integer");
      }
    }
    failoverThreshold(spec.failoverThresholdPercent(), out);
    Long damping = spec.minHealthyDurationMillis();
    if (damping != null && damping < 0) {
      out.error("spec.minHealthyDurationMillis " + damping + " must not be negative");
    }
    return out.build();
  }

  static Findings validate(OutlierDetectionSpec spec) {
    Findings.Builder out = new Findings.Builder();
    if (!atMost("spec.destinations", spec.destinations(), MAX_SELECTORS, out)) {
      return out.build();
    }
    if (spec.destinations().isEmpty()) {
      out.error("spec.destinations must select at least one destination");
    }
    if (spec.consecutiveErrors() != null && spec.consecutiveErrors() < 1) {
      out.error("spec.outlierDetection.consecutiveErrors " + spec.consecutiveErrors()
          + " must be at least 1");
    }
    if (spec.intervalMillis() != null && spec.intervalMillis() <= 0) {
      out.error("spec.outlierDetection.intervalMillis " + spec.intervalMillis()
          + " must be positive");
    }
    if (spec.baseEjectionTimeMillis() != null && spec.baseEjectionTimeMillis() <= 0) {
      out.error("spec.outlierDetection.baseEjectionTimeMillis " + spec.baseEjectionTimeMillis()
          + " must be positive");
    }
    Integer max = spec.maxEjectionPercent();
    if (max != null && (max < 0 || max > 100)) {
      out.error("spec.outlierDetection.maxEjectionPercent " + max + " is outside 0-100");
    }
    return out.build();
  }

  /**
   * Backing services of a FailoverService that no cluster has reported: a WARNING each, not an
   * error, because the service may simply not have been published yet.
   */
  public static Findings resolveReferences(FailoverServiceSpec spec, Predicate<ServiceRef> exists) {
    Findings.Builder out = new Findings.Builder();
    for (int i = 0; i < spec.backingServices().size(); i++) {
      BackingService backing = spec.backingServices().get(i);
      if (backing == null || backing.name() == null || backing.namespace() == null
          || backing.clusterName() == null) {
        continue;
      }
      if (!exists.test(backing.ref())) {
        out.warning("spec.backingServices[" + i + "].kubeService: service " + backing.namespace()
            + "/" + backing.name() + " does not exist in cluster " + backing.clusterName()
            + " (yet)");
      }
    }
    return out.build();
  }

  /**
   * Meshes a FailoverService lists that no known cluster reports (its agent's
   * {@code meshfed.io/mesh} label): a WARNING each, since the FailoverService is visible in none
   * of that mesh's clusters — the mesh may be misspelt, or its clusters not labelled (yet).
   */
  public static Findings resolveMeshes(FailoverServiceSpec spec, Set<String> reportedMeshes) {
    Findings.Builder out = new Findings.Builder();
    for (int i = 0; i < spec.meshes().size(); i++) {
      String mesh = spec.meshes().get(i);
      if (!reportedMeshes.contains(mesh)) {
        String name = abbreviate(String.valueOf(mesh));
        out.warning("spec.meshes[" + i + "] \"" + name + "\": no cluster reports this mesh"
            + " (agent label " + ClusterInfo.MESH_LABEL + "=" + name + "), so no cluster sees"
            + " the FailoverService through it");
      }
    }
    return out.build();
  }

  /**
   * Everything about a FailoverService's meshes that depends on what the clusters report: the
   * WARNING of {@link #resolveMeshes(FailoverServiceSpec, Set)} for a listed mesh no cluster
   * reports, and the seed's two VirtualMesh rules, INVALID as in Service Mesh Hub:
   *
   * <ul>
   *   <li>several listed meshes must be grouped under a common VirtualMesh;
   *   <li>the backing services must be in one mesh, or in meshes grouped under a common
   *       VirtualMesh — together with the listed meshes, so clients of a listed mesh are never
   *       sent to a mesh outside their VirtualMesh.
   * </ul>
   *
   * A mesh is known by its clusters' {@link ClusterInfo#MESH_LABEL}, a VirtualMesh by their
   * {@link ClusterInfo#VIRTUAL_MESH_LABEL}. Only reported meshes are judged: a cluster reporting
   * no mesh is in none, and a listed mesh no cluster reports is already a WARNING (it cannot be
   * in any VirtualMesh yet).
   */
  public static Findings resolveMeshGroups(FailoverServiceSpec spec,
      java.util.Collection<ClusterInfo> clusters) {
    Set<String> reported = new java.util.TreeSet<>();
    Map<String, String> meshOf = new java.util.HashMap<>();
    for (ClusterInfo cluster : clusters) {
      if (cluster.mesh() != null) {
        reported.add(cluster.mesh());
        meshOf.put(cluster.name(), cluster.mesh());
      }
    }
    Findings found = spec.meshes().isEmpty() ? Findings.NONE : resolveMeshes(spec, reported);
    List<io.meshfed.rules.model.VirtualMesh> virtualMeshes =
        io.meshfed.rules.model.VirtualMesh.fromClusters(clusters);
    Set<String> listed = new java.util.TreeSet<>(spec.meshes());
    listed.retainAll(reported);
    Findings.Builder out = new Findings.Builder();
    if (listed.size() > 1 && !groupedByOne(listed, virtualMeshes)) {
      out.error("spec.meshes " + quoted(listed) + " are not grouped under a common VirtualMesh"
          + " (cluster label " + ClusterInfo.VIRTUAL_MESH_LABEL + "); a FailoverService may list"
          + " several meshes only when one VirtualMesh groups them");
    }
    Map<String, String> backingMeshes = new java.util.TreeMap<>();
    for (BackingService backing : spec.backingServices()) {
      String mesh = backing == null ? null : meshOf.get(backing.clusterName());
      if (mesh != null) {
        backingMeshes.putIfAbsent(mesh, backing.namespace() + "/" + backing.name() + " in "
            + backing.clusterName());
      }
    }
    Set<String> spanned = new java.util.TreeSet<>(backingMeshes.keySet());
    spanned.addAll(listed);
    if (spanned.size() > 1 && !backingMeshes.isEmpty()
        && !groupedByOne(spanned, virtualMeshes)
        && !(listed.containsAll(backingMeshes.keySet()) && listed.size() > 1)) {
      StringBuilder which = new StringBuilder();
      backingMeshes.forEach((mesh, service) -> which.append(which.length() == 0 ? "" : ", ")
          .append(service).append(" (mesh ").append(abbreviate(mesh)).append(')'));
      out.error("spec.backingServices span meshes " + quoted(spanned)
          + (listed.isEmpty() ? "" : " with spec.meshes") + ": " + which + "; backing services"
          + " must be in one mesh or in meshes grouped under a common VirtualMesh (cluster label "
          + ClusterInfo.VIRTUAL_MESH_LABEL + ")");
    }
    return found.plus(out.build());
  }

  private static boolean groupedByOne(Set<String> meshes,
      List<io.meshfed.rules.model.VirtualMesh> virtualMeshes) {
    return virtualMeshes.stream().anyMatch(vm -> vm.groups(meshes));
  }

  private static String quoted(Set<String> values) {
    StringBuilder out = new StringBuilder();
    for (String value : values) {
      out.append(out.length() == 0 ? "" : ", ").append('"').append(abbreviate(value)).append('"');
    }
    return out.toString();
  }

  /** Whether {@code host} is a valid destination hostname (see {@link #hostname}). */
  public static boolean isValidHostname(String host) {
    Findings.Builder probe = new Findings.Builder();
    hostname("host", host, probe);
    return probe.build().isValid();
  }

  private static void hostname(String field, String value, Findings.Builder out) {
    if (value == null || value.isEmpty()) {
      out.error(field + " is required");
      return;
    }
    if (value.contains("*")) {
      out.error(field + " \"" + abbreviate(value) + "\" must not contain a wildcard");
      return;
    }
    if (value.length() > MAX_HOSTNAME) {
      out.error(field + " \"" + abbreviate(value) + "\" is " + value.length()
          + " characters long; at most " + MAX_HOSTNAME + " are allowed");
      return;
    }
    for (String label : value.split("\\.", -1)) {
      if (label.length() > MAX_LABEL || !DNS_LABEL.matcher(label).matches()) {
        out.error(field + " \"" + value + "\" is not a valid DNS name: label \"" + label
            + "\" must be 1-63 lower-case letters, digits or '-', starting and ending with a"
            + " letter or digit");
        return;
      }
    }
  }

  private static void failoverThreshold(Integer threshold, Findings.Builder out) {
    if (threshold != null && (threshold < 1 || threshold > 100)) {
      out.error("spec.failoverThresholdPercent " + threshold + " is outside 1-100");
    }
  }

  private static void portNumber(String field, Long value, Findings.Builder out) {
    if (value == null) {
      out.error(field + " is required");
    } else if (value < 1 || value > 65535) {
      out.error(field + " " + value + " is outside the port range 1-65535");
    }
  }

  private static void protocol(String field, String value, Findings.Builder out) {
    if (value == null || value.isEmpty()) {
      out.error(field + " is required");
    } else if (!PROTOCOLS.contains(value.toUpperCase(Locale.ROOT))) {
      // Abbreviated: a 200 KB protocol made a 200 KB message, twice in the status (error and
      // Valid condition), far over what a status should carry.
      out.error(field + " \"" + abbreviate(value) + "\" is not one of "
          + String.join(", ", PROTOCOLS));
    }
  }

  private static boolean atMost(String field, List<?> values, int max, Findings.Builder out) {
    if (values.size() > max) {
      out.error(field + " lists " + values.size() + " entries; at most " + max
          + " are allowed");
      return false;
    }
    return true;
  }

  private static boolean name(String field, String value, Findings.Builder out) {
    if (value.length() > MAX_NAME) {
      out.error(field + " \"" + abbreviate(value) + "\" is " + value.length()
          + " characters long; at most " + MAX_NAME + " are allowed");
      return false;
    }
    return true;
  }

  private static boolean required(String field, String value, Findings.Builder out) {
    if (value == null || value.isEmpty()) {
      out.error(field + " is required");
      return false;
    }
    return true;
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 37) + "...";
  }
}
