package io.meshfed.agent.schema;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks an object against a CRD's {@code openAPIV3Schema} the way kube-apiserver does, for
 * the subset of the schema language the CRDs we install and the objects we write use: types,
 * {@code required}, {@code enum}, {@code pattern}, lengths, bounds, item and property counts,
 * {@code additionalProperties}, {@code x-kubernetes-int-or-string}, {@code
 * x-kubernetes-list-type} and unknown fields.
 *
 * <p>Why not a JSON-Schema library: the API server's rules differ from JSON Schema's where it
 * matters here. A field no schema declares is pruned (or, with kubectl's strict field
 * validation, rejected) unless {@code x-kubernetes-preserve-unknown-fields} is set — JSON
 * Schema accepts it silently; and {@code pattern} is a Go (RE2) regular expression matched
 * unanchored, so we evaluate it with re2j rather than {@code java.util.regex}, whose syntax
 * accepts things Go rejects (backreferences, lookaround) and vice versa. An unknown field is
 * reported as an error, because in either case what the writer meant does not reach the
 * cluster.
 *
 * <p>CEL rules ({@code x-kubernetes-validations}) are handed to a {@link Cel} evaluator; a rule
 * it does not know is an error, never a silent pass.
 */
public final class StructuralValidator {

  /** Evaluates one CEL rule on a value: null when it holds, else the failure message. */
  @FunctionalInterface
  public interface Cel {
    /** @throws UnsupportedOperationException when the rule is not one this evaluator knows */
    String evaluate(String rule, String message, Object self);
  }

  /** A {@link Cel} that knows no rule: any schema with CEL rules fails loudly. */
  public static final Cel NO_CEL = (rule, message, self) -> {
    throw new UnsupportedOperationException(rule);
  };

  private final Cel cel;

  public StructuralValidator(Cel cel) {
    this.cel = cel;
  }

  /**
   * Errors of a whole object (apiVersion, kind and metadata are the API server's, not the
   * schema's, and are not checked here) against a version's {@code openAPIV3Schema}.
   */
  public List<String> validateObject(Map<String, Object> schema, Map<String, Object> object) {
    List<String> errors = new ArrayList<>();
    Map<String, Object> rest = new java.util.LinkedHashMap<>(object);
    rest.remove("apiVersion");
    rest.remove("kind");
    rest.remove("metadata");
    validate(schema, rest, "", errors);
    return errors;
  }

  /** Errors of {@code value} at {@code path} against {@code schema}. */
  @SuppressWarnings("unchecked")
  public void validate(Map<String, Object> schema, Object value, String path,
      List<String> errors) {
    String where = path.isEmpty() ? "<root>" : path;
    if (value == null) {
      if (!Boolean.TRUE.equals(schema.get("nullable"))) {
        errors.add(where + ": null is not allowed (not nullable)");
      }
      return;
    }
    if (schema.get("anyOf") instanceof List<?> anyOf
        && !Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"))) {
      boolean any = false;
      for (Object alt : anyOf) {
        List<String> altErrors = new ArrayList<>();
        validate((Map<String, Object>) alt, value, path, altErrors);
        any |= altErrors.isEmpty();
      }
      if (!any) {
        errors.add(where + ": matches none of anyOf");
      }
    }
    if (Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"))) {
      if (!(value instanceof String) && !isInteger(value)) {
        errors.add(where + ": must be an integer or a string, got " + describe(value));
      }
      return;
    }
    String type = (String) schema.get("type");
    if (type != null && !hasType(type, value)) {
      errors.add(where + ": must be of type " + type + ", got " + describe(value));
      return;
    }
    if (schema.get("enum") instanceof List<?> allowed && allowed.stream()
        .noneMatch(a -> a.equals(value) || (a instanceof Number n && value instanceof Number v
            && new BigDecimal(n.toString()).compareTo(new BigDecimal(v.toString())) == 0))) {
      errors.add(where + ": Unsupported value " + describe(value) + ", supported values: "
          + allowed);
    }
    if (value instanceof String s) {
      string(schema, s, where, errors);
    } else if (value instanceof Number n) {
      number(schema, n, where, errors);
    } else if (value instanceof List<?> list) {
      array(schema, (List<Object>) list, path, errors);
    } else if (value instanceof Map<?, ?> map) {
      object(schema, (Map<String, Object>) map, path, errors);
    }
    if (schema.get("x-kubernetes-validations") instanceof List<?> rules) {
      for (Object r : rules) {
        Map<String, Object> rule = (Map<String, Object>) r;
        String text = (String) rule.get("rule");
        try {
          String failure = cel.evaluate(text, (String) rule.get("message"), value);
          if (failure != null) {
            errors.add(where + ": " + failure);
          }
        } catch (UnsupportedOperationException e) {
          errors.add(where + ": CEL rule not evaluated by this validator: " + text);
        }
      }
    }
  }

  private static void string(Map<String, Object> schema, String s, String where,
      List<String> errors) {
    int length = s.codePointCount(0, s.length());
    if (schema.get("maxLength") instanceof Number max && length > max.longValue()) {
      errors.add(where + ": may not be longer than " + max + " (is " + length + ")");
    }
    if (schema.get("minLength") instanceof Number min && length < min.longValue()) {
      errors.add(where + ": should be at least " + min + " chars long");
    }
    if (schema.get("pattern") instanceof String pattern) {
      // kube-openapi compiles the pattern with Go's regexp and calls MatchString: unanchored.
      if (!compile(pattern).matcher(s).find()) {
        errors.add(where + ": \"" + s + "\" should match '" + pattern + "'");
      }
    }
    if ("date-time".equals(schema.get("format"))
        && !s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)")) {
      errors.add(where + ": \"" + s + "\" is not a date-time");
    }
  }

  /** The pattern as the API server would compile it; invalid RE2 fails the CRD itself. */
  public static Pattern compile(String pattern) {
    try {
      return Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("pattern '" + pattern + "' is not valid RE2: "
          + e.getMessage(), e);
    }
  }

  private static void number(Map<String, Object> schema, Number n, String where,
      List<String> errors) {
    BigDecimal v = new BigDecimal(n.toString());
    if (schema.get("maximum") instanceof Number max) {
      int cmp = v.compareTo(new BigDecimal(max.toString()));
      if (cmp > 0 || (cmp == 0 && Boolean.TRUE.equals(schema.get("exclusiveMaximum")))) {
        errors.add(where + ": should be less than or equal to " + max + " (is " + n + ")");
      }
    }
    if (schema.get("minimum") instanceof Number min) {
      int cmp = v.compareTo(new BigDecimal(min.toString()));
      if (cmp < 0 || (cmp == 0 && Boolean.TRUE.equals(schema.get("exclusiveMinimum")))) {
        errors.add(where + ": should be greater than or equal to " + min + " (is " + n + ")");
      }
    }
    if ("int32".equals(schema.get("format"))
        && (v.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) < 0
        || v.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0)) {
      errors.add(where + ": " + n + " does not fit format int32");
    }
  }

  @SuppressWarnings("unchecked")
  private void array(Map<String, Object> schema, List<Object> list, String path,
      List<String> errors) {
    String where = path.isEmpty() ? "<root>" : path;
    if (schema.get("maxItems") instanceof Number max && list.size() > max.longValue()) {
      errors.add(where + ": must have at most " + max + " items (has " + list.size() + ")");
    }
    if (schema.get("minItems") instanceof Number min && list.size() < min.longValue()) {
      errors.add(where + ": should have at least " + min + " items");
    }
    Object listType = schema.get("x-kubernetes-list-type");
    if ("set".equals(listType) && new HashSet<>(list).size() != list.size()) {
      errors.add(where + ": duplicate entries in a list of type set");
    }
    if ("map".equals(listType) && schema.get("x-kubernetes-list-map-keys") instanceof List<?> k) {
      Set<List<Object>> seen = new HashSet<>();
      for (Object item : list) {
        List<Object> key = new ArrayList<>();
        k.forEach(name -> key.add(((Map<String, Object>) item).get((String) name)));
        if (!seen.add(key)) {
          errors.add(where + ": duplicate entry with key " + key + " in a list of type map");
        }
      }
    }
    Map<String, Object> items = (Map<String, Object>) schema.get("items");
    if (items == null) {
      errors.add(where + ": array schema without items is not structural");
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      validate(items, list.get(i), path + "[" + i + "]", errors);
    }
  }

  @SuppressWarnings("unchecked")
  private void object(Map<String, Object> schema, Map<String, Object> map, String path,
      List<String> errors) {
    String where = path.isEmpty() ? "<root>" : path;
    if (schema.get("required") instanceof List<?> required) {
      for (Object field : required) {
        if (!map.containsKey((String) field)) {
          errors.add(join(path, (String) field) + ": Required value");
        }
      }
    }
    if (schema.get("maxProperties") instanceof Number max && map.size() > max.longValue()) {
      errors.add(where + ": must have at most " + max + " properties");
    }
    if (schema.get("minProperties") instanceof Number min && map.size() < min.longValue()) {
      errors.add(where + ": must have at least " + min + " properties");
    }
    Map<String, Object> properties = (Map<String, Object>) schema.get("properties");
    Object additional = schema.get("additionalProperties");
    boolean preserve = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
    for (Map.Entry<String, Object> field : map.entrySet()) {
      String at = join(path, field.getKey());
      if (properties != null && properties.containsKey(field.getKey())) {
        validate((Map<String, Object>) properties.get(field.getKey()), field.getValue(), at,
            errors);
      } else if (additional instanceof Map<?, ?> additionalSchema) {
        validate((Map<String, Object>) additionalSchema, field.getValue(), at, errors);
      } else if (!preserve && !Boolean.TRUE.equals(additional)) {
        // The API server prunes it (or rejects it with strict field validation).
        errors.add(at + ": field not declared in schema (it would be pruned)");
      }
    }
  }

  private static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private static boolean hasType(String type, Object value) {
    return switch (type) {
      case "object" -> value instanceof Map<?, ?>;
      case "array" -> value instanceof List<?>;
      case "string" -> value instanceof String;
      case "boolean" -> value instanceof Boolean;
      case "integer" -> isInteger(value);
      case "number" -> value instanceof Number;
      default -> false;
    };
  }

  private static boolean isInteger(Object value) {
    return value instanceof Integer || value instanceof Long || value instanceof BigInteger
        || value instanceof Short || value instanceof Byte;
  }

  private static String describe(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : value.getClass().getSimpleName()
        + " " + value;
  }

  /**
   * Errors that make a schema non-structural or uninstallable: every node has a type (unless
   * int-or-string or preserve-unknown-fields), properties and additionalProperties are not
   * both set, every pattern compiles as RE2.
   */
  @SuppressWarnings("unchecked")
  public static List<String> checkStructural(Map<String, Object> schema, String path) {
    List<String> errors = new ArrayList<>();
    boolean intOrString = Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"));
    boolean preserve = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
    if (schema.get("type") == null && !intOrString && !preserve) {
      errors.add(path + ": type is required in a structural schema");
    }
    if (schema.containsKey("properties") && schema.containsKey("additionalProperties")) {
      errors.add(path + ": properties and additionalProperties are mutually exclusive");
    }
    if (schema.get("pattern") instanceof String p) {
      try {
        compile(p);
      } catch (IllegalArgumentException e) {
        errors.add(path + ": " + e.getMessage());
      }
    }
    if (schema.get("properties") instanceof Map<?, ?> props) {
      ((Map<String, Object>) props).forEach((k, v) ->
          errors.addAll(checkStructural((Map<String, Object>) v, path + "." + k)));
    }
    if (schema.get("items") instanceof Map<?, ?> items) {
      errors.addAll(checkStructural((Map<String, Object>) items, path + "[]"));
    } else if ("array".equals(schema.get("type"))) {
      errors.add(path + ": array without items");
    }
    if (schema.get("additionalProperties") instanceof Map<?, ?> add) {
      errors.addAll(checkStructural((Map<String, Object>) add, path + "{}"));
    }
    return errors;
  }
}
