package io.meshfed.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * A playground workload as YAML: the Namespace, the Service and its one EndpointSlice, written
 * by hand because a simulated cluster runs no controller that would derive them from Pods; and
 * the FailoverService over the workload in several clusters. {@code meshfed scenario} applies
 * them through the same path as {@code meshfed apply}, so they are checked the same way.
 */
record Workload(String name, String namespace, int port) {

  /** The namespace the FailoverService lives in, as in the walkthrough. */
  static final String POLICY_NAMESPACE = "service-mesh-hub";

  /** At most this many endpoints per cluster: they are numbered into one /24. */
  static final int MAX_ENDPOINTS = 200;

  String sliceName() {
    return name + "-slice";
  }

  String failoverServiceName() {
    return name + "-failover";
  }

  String hostname() {
    return failoverServiceName() + "." + namespace + ".global";
  }

  /**
   * Endpoint addresses of the workload in the {@code clusterIndex}-th cluster of the stack:
   * 10.INDEX.0.11 and up, so addresses never repeat across clusters and read back easily.
   */
  static List<String> addresses(int clusterIndex, int count) {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      addresses.add("10." + clusterIndex + ".0." + (11 + i));
    }
    return addresses;
  }

  /** Namespace, Service and EndpointSlice, every endpoint ready. */
  String yaml(List<String> addresses) {
    return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + namespace + "\n---\n"
        + "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: "
        + namespace + "\n  labels:\n    app: " + name + "\nspec:\n  ports:\n  - name: http\n"
        + "    port: " + port + "\n    protocol: TCP\n---\n"
        + slice(addresses, 0);
  }

  /** The EndpointSlice with its first {@code unready} endpoints unready, the rest ready. */
  String slice(List<String> addresses, int unready) {
    StringBuilder yaml = new StringBuilder("apiVersion: discovery.k8s.io/v1\n"
        + "kind: EndpointSlice\nmetadata:\n  name: " + sliceName() + "\n  namespace: "
        + namespace + "\n  labels:\n    kubernetes.io/service-name: " + name + "\n"
        + "addressType: IPv4\nports:\n- name: http\n  port: " + port + "\nendpoints:\n");
    for (int i = 0; i < addresses.size(); i++) {
      boolean ready = i >= unready;
      yaml.append("- addresses: [\"").append(addresses.get(i)).append("\"]\n")
          .append("  conditions: {ready: ").append(ready).append(", serving: ").append(ready)
          .append(", terminating: false}\n");
    }
    return yaml.toString();
  }

  /** The FailoverService: the workload in {@code clusters}, in that order of preference. */
  String failoverService(List<String> clusters) {
    StringBuilder yaml = new StringBuilder("apiVersion: meshfed.io/v1alpha1\n"
        + "kind: FailoverService\nmetadata:\n  name: " + failoverServiceName() + "\n"
        + "  namespace: " + POLICY_NAMESPACE + "\nspec:\n  hostname: " + hostname() + "\n"
        + "  port:\n    number: " + port + "\n    protocol: http\n  backingServices:\n");
    for (String cluster : clusters) {
      yaml.append("  - kubeService: {name: ").append(name).append(", namespace: ")
          .append(namespace).append(", clusterName: ").append(cluster).append("}\n");
    }
    return yaml.toString();
  }
}
