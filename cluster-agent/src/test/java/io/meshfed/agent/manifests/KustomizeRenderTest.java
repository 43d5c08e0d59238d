package io.meshfed.agent.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshfed.agent.apply.ConfigApplier.ObjectKind;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.KubernetesApplier;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.agent.schema.Crds;
import io.meshfed.agent.schema.KubeRules;
import io.meshfed.agent.schema.StructuralValidator;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The install the README gives,
 * {@code kubectl apply -k cluster-agent/deploy/overlays/mgmt-cluster}, rendered by the real
 * kubectl's kustomize and every object checked as an API server would: names and labels,
 * CRDs, references between objects (the Deployment's ConfigMap, Secret, ServiceAccount and
 * files; the bindings' roles and subjects), RBAC covering what the appliers write, the
 * restricted Pod Security Standard the namespace enforces, and the rendered config parsed by
 * the agent's own {@link AgentConfig}. Runs where kubectl is installed.
 */
class KustomizeRenderTest {

  static final String OVERLAY = "cluster-agent/deploy/overlays/mgmt-cluster";
  private static List<Map<String, Object>> objects;

  @BeforeAll
  static void render() throws Exception {
    assumeTrue(kubectl() != null, "kubectl is not on the PATH; the render cannot be tested");
    objects = kustomize(Path.of("..", OVERLAY));
  }

  private static String kubectl() {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst()
        .map(Path::toString).orElse(null);
  }

  static List<Map<String, Object>> kustomize(Path dir) throws Exception {
    Process p = new ProcessBuilder(kubectl(), "kustomize", dir.toString())
        .redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("kubectl kustomize finished").isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize " + dir + ": " + err).isZero();
    return Crds.readAll(new ByteArrayInputStream(out));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String key) {
    return (Map<String, Object>) ((Map<String, Object>) o).get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object o, String key) {
    return (List<Map<String, Object>>) ((Map<String, Object>) o).getOrDefault(key, List.of());
  }

  private static String name(Map<String, Object> o) {
    return (String) map(o, "metadata").get("name");
  }

  private static String namespace(Map<String, Object> o) {
    return (String) map(o, "metadata").get("namespace");
  }

  private static List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  private static Map<String, Object> one(String kind, String name) {
    return ofKind(kind).stream().filter(o -> name.equals(name(o))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the render"));
  }

  private static boolean exists(String kind, String namespace, String name) {
    return ofKind(kind).stream().anyMatch(o -> name.equals(name(o))
        && Objects.equals(namespace, namespace(o)));
  }

  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace",
      "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding");

  @Test
  void everyObjectHasValidNamesLabelsAndAnExistingNamespace() {
    assertThat(objects).extracting(o -> o.get("kind") + "/" + name(o)).containsExactlyInAnyOrder(
        "Namespace/meshfed",
        "CustomResourceDefinition/failoverservices.meshfed.io",
        "CustomResourceDefinition/virtualdestinations.meshfed.io",
        "CustomResourceDefinition/failoverpolicies.meshfed.io",
        "CustomResourceDefinition/outlierdetectionpolicies.meshfed.io",
        "CustomResourceDefinition/externalservices.meshfed.io",
        "CustomResourceDefinition/externalworkloads.meshfed.io",
        "CustomResourceDefinition/trafficpolicies.meshfed.io",
        "ServiceAccount/meshfed-agent", "ClusterRole/meshfed-agent-read",
        "ClusterRoleBinding/meshfed-agent-read", "Role/meshfed-agent-apply",
        "RoleBinding/meshfed-agent-apply", "ConfigMap/meshfed-agent",
        "Secret/meshfed-agent-kafka", "Deployment/meshfed-agent");
    List<String> problems = new ArrayList<>();
    for (Map<String, Object> o : objects) {
      String kind = (String) o.get("kind");
      String at = kind + "/" + name(o) + ": ";
      KubeRules.metadata(o, false).forEach(e -> problems.add(at + e));
      if (kind.equals("Namespace")) {
        KubeRules.dns1123Label("name", name(o)).forEach(e -> problems.add(at + e));
      }
      if (CLUSTER_SCOPED.contains(kind)) {
        if (namespace(o) != null) {
          problems.add(at + "cluster-scoped but has a namespace");
        }
      } else if (namespace(o) == null || !exists("Namespace", null, namespace(o))) {
        problems.add(at + "namespace " + namespace(o) + " is not created by the install");
      }
    }
    assertThat(problems).isEmpty();
    assertThat(map(one("Namespace", "meshfed"), "metadata").get("labels")).isEqualTo(Map.of(
        "pod-security.kubernetes.io/enforce", "restricted", "app.kubernetes.io/part-of",
        "meshfed"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theCrdsAreWellFormedAndTheSameAsTheTestedFile() {
    Crds tested = Crds.load(Path.of("deploy/base/crds.yaml"));
    List<String> problems = new ArrayList<>();
    for (Map<String, Object> crd : ofKind("CustomResourceDefinition")) {
      Map<String, Object> spec = map(crd, "spec");
      Map<String, Object> names = map(spec, "names");
      String plural = (String) names.get("plural");
      if (!name(crd).equals(plural + "." + spec.get("group"))) {
        problems.add(name(crd) + ": name must be <plural>.<group>");
      }
      problems.addAll(KubeRules.dns1123Label("plural", plural));
      problems.addAll(KubeRules.dns1123Label("singular", (String) names.get("singular")));
      if (!((String) names.get("kind")).matches("[A-Z][A-Za-z0-9]*")) {
        problems.add(name(crd) + ": kind is not CamelCase");
      }
      List<Map<String, Object>> versions = list(spec, "versions");
      if (versions.stream().filter(v -> Boolean.TRUE.equals(v.get("storage"))).count() != 1) {
        problems.add(name(crd) + ": exactly one storage version is required");
      }
      for (Map<String, Object> v : versions) {
        Map<String, Object> schema = map(map(v, "schema"), "openAPIV3Schema");
        problems.addAll(StructuralValidator.checkStructural(schema, name(crd)));
        // What kustomize rendered is what CrdSchemaTest validated (no transformer touched it).
        if (!schema.equals(tested.schema(spec.get("group") + "/" + v.get("name"),
            (String) names.get("kind")))) {
          problems.add(name(crd) + ": rendered schema differs from deploy/base/crds.yaml");
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void theDeploymentReferencesOnlyWhatTheInstallCreates() throws IOException {
    Map<String, Object> deployment = one("Deployment", "meshfed-agent");
    String ns = namespace(deployment);
    Map<String, Object> spec = map(deployment, "spec");
    Map<String, Object> template = map(spec, "template");
    assertThat(map(template, "metadata").get("labels"))
        .as("the selector selects the pod template")
        .isEqualTo(map(map(spec, "selector"), "matchLabels"));
    Map<String, Object> pod = map(template, "spec");
    assertThat(exists("ServiceAccount", ns, (String) pod.get("serviceAccountName"))).isTrue();

    // Volume name -> the files it provides.
    Map<String, Set<String>> volumeFiles = new java.util.HashMap<>();
    for (Map<String, Object> volume : list(pod, "volumes")) {
      String volumeName = (String) volume.get("name");
      if (volume.get("configMap") != null) {
        String cm = (String) map(volume, "configMap").get("name");
        assertThat(exists("ConfigMap", ns, cm)).as("ConfigMap " + cm).isTrue();
        volumeFiles.put(volumeName, map(one("ConfigMap", cm), "data").keySet());
      } else if (volume.get("secret") != null) {
        String secret = (String) map(volume, "secret").get("secretName");
        assertThat(exists("Secret", ns, secret)).as("Secret " + secret).isTrue();
        volumeFiles.put(volumeName, map(one("Secret", secret), "data").keySet());
      } else {
        // restricted Pod Security: only these volume types
        assertThat(volume).containsKey("emptyDir");
        volumeFiles.put(volumeName, Set.of());
      }
    }
    List<Map<String, Object>> containers = list(pod, "containers");
    assertThat(containers).hasSize(1);
    Map<String, Object> container = containers.get(0);
    assertThat(KubeRules.dns1123Label("container name", (String) container.get("name")))
        .isEmpty();
    for (Map<String, Object> env : list(container, "env")) {
      Map<String, Object> from = map(env, "valueFrom");
      if (from != null && from.get("configMapKeyRef") != null) {
        Map<String, Object> ref = map(from, "configMapKeyRef");
        assertThat(map(one("ConfigMap", (String) ref.get("name")), "data"))
            .containsKey((String) ref.get("key"));
      }
    }
    Map<String, String> mounts = new java.util.LinkedHashMap<>();
    for (Map<String, Object> mount : list(container, "volumeMounts")) {
      assertThat(volumeFiles).containsKey((String) mount.get("name"));
      mounts.put((String) mount.get("mountPath"), (String) mount.get("name"));
    }
    // Every --config file is a key of a mounted ConfigMap or Secret.
    List<String> args = (List<String>) container.get("args");
    List<String> configFiles = new ArrayList<>();
    for (int i = 0; i < args.size() - 1; i++) {
      if (args.get(i).equals("--config")) {
        configFiles.add(args.get(i + 1));
      }
    }
    assertThat(configFiles).hasSize(2);
    for (String file : configFiles) {
      Path path = Path.of(file);
      String volume = mounts.get(path.getParent().toString());
      assertThat(volume).as(file + " is under a mount").isNotNull();
      assertThat(volumeFiles.get(volume)).as(file).contains(path.getFileName().toString());
    }
    for (Map<String, Object> port : list(container, "ports")) {
      assertThat(KubeRules.portName("port", (String) port.get("name"))).isEmpty();
    }
    assertThat(map(map(container, "readinessProbe"), "httpGet").get("port"))
        .isIn(list(container, "ports").stream().map(p -> p.get("name")).toList());

    // The namespace enforces the restricted Pod Security Standard.
    Map<String, Object> podSecurity = map(pod, "securityContext");
    Map<String, Object> containerSecurity = map(container, "securityContext");
    assertThat(podSecurity).containsEntry("runAsNonRoot", true);
    assertThat(map(podSecurity, "seccompProfile")).containsEntry("type", "RuntimeDefault");
    assertThat(containerSecurity).containsEntry("allowPrivilegeEscalation", false);
    assertThat(map(containerSecurity, "capabilities")).containsEntry("drop", List.of("ALL"));

    // The image Jib builds (cluster-agent/pom.xml, profile "image").
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher parentVersion = Pattern.compile("<parent>.*?<version>([^<]+)</version>",
        Pattern.DOTALL).matcher(pom);
    assertThat(parentVersion.find()).isTrue();
    assertThat(pom).contains("<image>meshfed/agent:${project.version}</image>");
    assertThat(container.get("image")).isEqualTo("meshfed/agent:" + parentVersion.group(1));
  }

  @Test
  void theRenderedConfigIsWhatTheAgentAccepts() throws IOException {
    Map<String, Object> cm = map(one("ConfigMap", "meshfed-agent"), "data");
    Map<String, Object> secret = map(one("Secret", "meshfed-agent-kafka"), "data");
    Properties p = new Properties();
    p.load(new StringReader((String) cm.get("agent.properties")));
    p.load(new StringReader(new String(Base64.getMimeDecoder().decode(
        (String) secret.get("kafka-client.properties")), StandardCharsets.UTF_8)));
    AgentConfig config = AgentConfig.fromProperties((String) cm.get("cluster"), p);
    assertThat(config.cluster()).isEqualTo("mgmt-cluster");
    assertThat(config.namespace()).isEqualTo(namespace(one("Deployment", "meshfed-agent")));
    assertThat(config.policySource()).isTrue();
    assertThat(config.kafkaClient()).containsEntry("security.protocol", "SASL_SSL")
        .containsKeys("sasl.mechanism", "sasl.jaas.config");
    assertThat(config.registry().basicAuthUser()).contains("meshfed-agent-mgmt-cluster");
  }

  @Test
  void theBaseAloneRefusesToStartWithoutAClusterName() throws Exception {
    List<Map<String, Object>> base = kustomize(Path.of("deploy/base"));
    Map<String, Object> cm = base.stream().filter(o -> "ConfigMap".equals(o.get("kind")))
        .findFirst().orElseThrow();
    Properties p = new Properties();
    p.load(new StringReader((String) map(cm, "data").get("agent.properties")));
    assertThatThrownBy(() -> AgentConfig.fromProperties((String) map(cm, "data").get("cluster"),
        p)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rbacGrantsWhatTheAppliersAndStatusWriterDoAndBindingsResolve() {
    String ns = "meshfed";
    Map<String, Set<String>> granted = new java.util.HashMap<>();
    for (String kind : List.of("Role", "ClusterRole")) {
      for (Map<String, Object> role : ofKind(kind)) {
        for (Map<String, Object> rule : list(role, "rules")) {
          @SuppressWarnings("unchecked")
          List<String> groups = (List<String>) rule.get("apiGroups");
          @SuppressWarnings("unchecked")
          List<String> resources = (List<String>) rule.get("resources");
          @SuppressWarnings("unchecked")
          List<String> verbs = (List<String>) rule.get("verbs");
          for (String g : groups) {
            for (String r : resources) {
              granted.computeIfAbsent(g + "/" + r, k -> new HashSet<>()).addAll(verbs);
            }
          }
        }
      }
    }
    List<ObjectKind> written = new ArrayList<>(new IstioApplier(ns).kinds());
    written.addAll(new KubernetesApplier(ns).kinds());
    for (ObjectKind kind : written) {
      assertThat(granted.getOrDefault(kind.group() + "/" + kind.plural(), Set.of()))
          .as(kind.kind()).contains("get", "list", "create", "update", "delete");
    }
    assertThat(granted.get("meshfed.io/failoverservices/status")).contains("get", "update");
    for (String kind : List.of("RoleBinding", "ClusterRoleBinding")) {
      for (Map<String, Object> binding : ofKind(kind)) {
        Map<String, Object> roleRef = map(binding, "roleRef");
        String roleKind = (String) roleRef.get("kind");
        assertThat(exists(roleKind, roleKind.equals("Role") ? namespace(binding) : null,
            (String) roleRef.get("name"))).as(kind + " " + name(binding)).isTrue();
        for (Map<String, Object> subject : list(binding, "subjects")) {
          assertThat(exists("ServiceAccount", (String) subject.get("namespace"),
              (String) subject.get("name"))).as(kind + " subject").isTrue();
        }
      }
    }
  }

  @Test
  void theReadmeInstallsExactlyTheTestedOverlay() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    List<String> applies = new ArrayList<>();
    Matcher m = Pattern.compile("kubectl apply -k (\\S+)").matcher(readme);
    while (m.find()) {
      applies.add(m.group(1));
    }
    assertThat(applies).containsOnly(OVERLAY).isNotEmpty();
    assertThat(readme).doesNotContain("kubectl apply -f cluster-agent/deploy")
        .contains("mvn -B -pl cluster-agent -am package -Pimage -DskipTests");
  }
}
