package io.meshfed.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes' strategic merge patch, as much of it as kubectl sends for the kinds a simulated
 * cluster holds: {@code kubectl apply} of an object that exists and {@code kubectl edit} send
 * one for built-in kinds, and the fabric8 mock server takes only JSON patches and JSON merge
 * patches (415 otherwise). It is a JSON merge patch except for lists and directives:
 * <ul>
 *   <li>a list with a merge key (Service {@code ports} by {@code port}, {@code containers} by
 *       {@code name}, ...) is merged element by element, an element with
 *       {@code $patch: delete} removed, and {@code $setElementOrder/<list>} gives the order
 *       (and names the key); any other list is replaced whole, as the API server does;</li>
 *   <li>{@code $patch: replace} replaces an object, {@code $patch: delete} removes it,
 *       {@code $retainKeys} drops the keys it does not list, {@code $deleteFromPrimitiveList/}
 *       removes values from a list of scalars.</li>
 * </ul>
 * The API server reads merge keys from the Go types; here they come from the patch's own
 * {@code $setElementOrder} (kubectl sends it whenever a merged list changes) or from the few
 * lists of the simulated kinds that have one ({@link #MERGE_KEYS}).
 */
final class StrategicMergePatch {

  /** Merge keys of the lists in the kinds a simulated cluster serves (by list field name). */
  static final Map<String, String> MERGE_KEYS = Map.of("ports", "port", "containers", "name",
      "initContainers", "name", "env", "name", "volumes", "name", "volumeMounts", "mountPath",
      "conditions", "type");

  private static final String ORDER = "$setElementOrder/";
  private static final String DELETE_FROM = "$deleteFromPrimitiveList/";

  private StrategicMergePatch() {}

  /** {@code target} with {@code patch} applied; neither is modified. */
  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    return merge(target != null && target.isObject() ? (ObjectNode) target.deepCopy()
        : JsonNodeFactory.instance.objectNode(), (ObjectNode) patch);
  }

  private static JsonNode merge(ObjectNode result, ObjectNode patch) {
    String directive = patch.path("$patch").asText("");
    if (directive.equals("replace")) {
      ObjectNode replaced = patch.deepCopy();
      replaced.remove("$patch");
      return replaced;
    }
    if (directive.equals("delete")) {
      return null;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (name.equals("$patch") || name.equals("$retainKeys") || name.startsWith(ORDER)) {
        continue;
      }
      if (name.startsWith(DELETE_FROM)) {
        String list = name.substring(DELETE_FROM.length());
        if (result.path(list).isArray()) {
          Set<JsonNode> gone = new HashSet<>();
          value.forEach(gone::add);
          ArrayNode kept = JsonNodeFactory.instance.arrayNode();
          result.path(list).forEach(v -> {
            if (!gone.contains(v)) {
              kept.add(v);
            }
          });
          result.set(list, kept);
        }
        continue;
      }
      if (value.isNull()) {
        result.remove(name);
      } else if (value.isObject()) {
        JsonNode merged = merge(result.path(name).isObject()
            ? (ObjectNode) result.get(name) : JsonNodeFactory.instance.objectNode(),
            (ObjectNode) value);
        if (merged == null) {
          result.remove(name);
        } else {
          result.set(name, merged);
        }
      } else if (value.isArray()) {
        String key = mergeKey(name, patch.get(ORDER + name), value);
        result.set(name, key == null ? withoutDirectives((ArrayNode) value)
            : mergeList(result.path(name).isArray() ? (ArrayNode) result.get(name)
                : JsonNodeFactory.instance.arrayNode(), (ArrayNode) value,
                patch.get(ORDER + name), key));
      } else {
        result.set(name, value);
      }
    }
    if (patch.path("$retainKeys").isArray()) {
      Set<String> retain = new HashSet<>();
      patch.get("$retainKeys").forEach(k -> retain.add(k.asText()));
      result.retain(retain);
    }
    return result;
  }

  /** The list's merge key, or null for a list that is replaced whole. */
  private static String mergeKey(String name, JsonNode order, JsonNode value) {
    if (order != null && order.isArray() && order.size() > 0 && order.get(0).isObject()
        && order.get(0).size() == 1) {
      return order.get(0).fieldNames().next();
    }
    String known = MERGE_KEYS.get(name);
    boolean objects = value.size() > 0;
    for (JsonNode element : value) {
      objects &= element.isObject() && element.has(known == null ? "" : known);
    }
    return known != null && (objects || order != null) ? known : null;
  }

  private static ArrayNode withoutDirectives(ArrayNode list) {
    ArrayNode copy = JsonNodeFactory.instance.arrayNode();
    for (JsonNode element : list) {
      if (!element.path("$patch").asText("").equals("delete")) {
        copy.add(element.isObject() ? apply(null, element) : element);
      }
    }
    return copy;
  }

  private static ArrayNode mergeList(ArrayNode current, ArrayNode patch, JsonNode order,
      String key) {
    List<JsonNode> merged = new ArrayList<>();
    current.forEach(merged::add);
    for (JsonNode element : patch) {
      JsonNode id = element.get(key);
      int at = indexOf(merged, key, id);
      if (element.path("$patch").asText("").equals("delete")) {
        if (at >= 0) {
          merged.remove(at);
        }
      } else if (at >= 0) {
        merged.set(at, apply(merged.get(at), element));
      } else {
        merged.add(apply(null, element));
      }
    }
    if (order != null && order.isArray()) {
      // The order kubectl asks for; elements it does not name (added by someone else) after.
      List<JsonNode> ordered = new ArrayList<>();
      for (JsonNode wanted : order) {
        int at = indexOf(merged, key, wanted.get(key));
        if (at >= 0) {
          ordered.add(merged.remove(at));
        }
      }
      ordered.addAll(merged);
      merged = ordered;
    }
    ArrayNode result = JsonNodeFactory.instance.arrayNode();
    merged.forEach(result::add);
    return result;
  }

  private static int indexOf(List<JsonNode> list, String key, JsonNode id) {
    for (int i = 0; i < list.size(); i++) {
      if (id != null && id.equals(list.get(i).get(key))) {
        return i;
      }
    }
    return -1;
  }
}
