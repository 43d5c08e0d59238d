package io.meshfed.agent.schema;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * CustomResourceDefinitions read as plain YAML maps (not fabric8's typed model), so what is
 * checked is exactly what {@code kubectl apply} sends, string escapes included.
 */
public final class Crds {

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private final Map<String, Map<String, Object>> byKindAndVersion = new LinkedHashMap<>();
  private final List<Map<String, Object>> crds;

  private Crds(List<Map<String, Object>> crds) {
    this.crds = crds;
    for (Map<String, Object> crd : crds) {
      Map<String, Object> spec = map(crd, "spec");
      String group = (String) spec.get("group");
      String kind = (String) map(spec, "names").get("kind");
      for (Object v : (List<?>) spec.get("versions")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> version = (Map<String, Object>) v;
        byKindAndVersion.put(group + "/" + version.get("name") + "/" + kind,
            map(map(version, "schema"), "openAPIV3Schema"));
      }
    }
  }

  public static Crds load(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CRDs in a YAML stream (a classpath resource, for tests of other modules). */
  public static Crds load(InputStream in) throws IOException {
    return new Crds(readAll(in).stream()
        .filter(d -> "CustomResourceDefinition".equals(d.get("kind"))).toList());
  }

  /** Every document of a multi-document YAML stream, as maps (empty documents skipped). */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> readAll(InputStream in) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(in)) {
      var it = YAML.readValues(parser, Map.class);
      while (it.hasNext()) {
        Map<String, Object> doc = it.next();
        if (doc != null) {
          out.add(doc);
        }
      }
    }
    return out;
  }

  public static List<Map<String, Object>> readAll(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return readAll(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Any object (typed fabric8 model, GenericKubernetesResource, map) as JSON-shaped maps. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> asMap(Object object) {
    try {
      return JSON.readValue(io.fabric8.kubernetes.client.utils.Serialization.asJson(object),
          Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<Map<String, Object>> all() {
    return crds;
  }

  /** The openAPIV3Schema of {@code apiVersion} (group/version) and kind. */
  public Map<String, Object> schema(String apiVersion, String kind) {
    return Objects.requireNonNull(byKindAndVersion.get(apiVersion + "/" + kind),
        "no CRD serves " + apiVersion + " " + kind);
  }

  public boolean serves(String apiVersion, String kind) {
    return byKindAndVersion.containsKey(apiVersion + "/" + kind);
  }

  /** Errors of a whole object against the CRD that serves its apiVersion and kind. */
  public List<String> validate(Map<String, Object> object, StructuralValidator.Cel cel) {
    return new StructuralValidator(cel).validateObject(
        schema((String) object.get("apiVersion"), (String) object.get("kind")), object);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) Objects.requireNonNull(m.get(key), key);
  }
}
