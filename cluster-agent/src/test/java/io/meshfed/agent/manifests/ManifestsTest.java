package io.meshfed.agent.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deploy manifests: CRDs that can be installed, least-privilege RBAC, a hardened pod. */
@EnableKubernetesMockClient(crud = true)
class ManifestsTest {

  static KubernetesClient client;

  private static List<HasMetadata> load(String file) throws IOException {
    try (var in = new FileInputStream("deploy/base/" + file)) {
      Object parsed = Serialization.unmarshal(in);
      List<HasMetadata> out = new ArrayList<>();
      if (parsed instanceof List<?> list) {
        list.forEach(o -> out.add((HasMetadata) o));
      } else {
        out.add((HasMetadata) parsed);
      }
      return out;
    }
  }

  @Test
  void thePolicyCrdsHaveStatusTheTwoMemberCrdsNoneAndAllInstall() throws IOException {
    List<CustomResourceDefinition> crds = load("crds.yaml").stream()
        .map(CustomResourceDefinition.class::cast).toList();
    assertThat(crds).extracting(c -> c.getSpec().getNames().getKind()).containsExactly(
        "FailoverService", "VirtualDestination", "FailoverPolicy", "OutlierDetectionPolicy",
        "ExternalService", "ExternalWorkload", "TrafficPolicy");
    for (CustomResourceDefinition crd : crds) {
      var version = crd.getSpec().getVersions().get(0);
      assertThat(crd.getSpec().getGroup()).isEqualTo("meshfed.io");
      assertThat(version.getName()).isEqualTo("v1alpha1");
      boolean member = crd.getSpec().getNames().getKind().startsWith("External");
      if (member) {
        // Members have no status: nothing writes one (the VirtualDestination reports).
        assertThat(version.getSubresources()).isNull();
        assertThat(version.getAdditionalPrinterColumns()).extracting(c -> c.getName())
            .containsExactly("ADDRESSES", "AGE");
        assertThat(version.getSchema().getOpenAPIV3Schema().getProperties())
            .containsOnlyKeys("spec");
      } else {
        assertThat(version.getSubresources().getStatus()).isNotNull();
        assertThat(version.getAdditionalPrinterColumns()).extracting(c -> c.getName())
            .contains("STATE", "AGE");
        assertThat(version.getSchema().getOpenAPIV3Schema().getProperties())
            .containsKeys("spec", "status");
      }
      client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    }
    var fs = crds.get(0).getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
        .getProperties().get("spec");
    assertThat(fs.getRequired()).containsExactly("hostname", "port", "backingServices");
    assertThat(fs.getProperties().get("port").getProperties().get("number").getMaximum())
        .isEqualTo(65535.0);
    assertThat(fs.getProperties().get("hostname").getMaxLength()).isEqualTo(255L);
    assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
        .hasSize(7);
  }

  @Test
  void rbacIsLeastPrivilege() throws IOException {
    List<PolicyRule> rules = new ArrayList<>();
    for (HasMetadata o : load("rbac.yaml")) {
      if (o instanceof ClusterRole r) {
        rules.addAll(r.getRules());
      } else if (o instanceof Role r) {
        rules.addAll(r.getRules());
      }
    }
    assertThat(rules).isNotEmpty().allSatisfy(rule -> {
      assertThat(rule.getVerbs()).doesNotContain("*");
      assertThat(rule.getResources()).doesNotContain("*", "secrets");
      assertThat(rule.getApiGroups()).doesNotContain("*");
    });
    assertThat(rules).filteredOn(r -> r.getResources().contains("services")
        && r.getApiGroups().contains("")).flatExtracting(PolicyRule::getVerbs)
        .contains("get", "list", "watch");
  }

  @Test
  void theAgentPodIsHardened() throws IOException {
    Deployment deployment = (Deployment) load("deployment.yaml").get(0);
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    var container = pod.getContainers().get(0);
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
  }
}
