package io.meshfed.agent.schema;

import com.google.re2j.Pattern;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The CEL rules ({@code x-kubernetes-validations}) of Istio's networking.istio.io/v1
 * ServiceEntry and DestinationRule CRDs (src/test/resources/istio), each written out in Java.
 * A rule not listed here throws, so {@link StructuralValidator} reports it instead of passing
 * it: a new Istio rule on a field we write makes the tests fail until it is added here.
 */
public final class IstioCel implements StructuralValidator.Cel {

  private static final Pattern PORT_NAME =
      Pattern.compile("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$");
  private static final Pattern GO_DURATION =
      Pattern.compile("^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h)");

  @Override
  @SuppressWarnings("unchecked")
  public String evaluate(String rule, String message, Object self) {
    boolean ok = switch (rule) {
      case "duration(self) >= duration('1ms')" -> goDurationNanos((String) self) >= 1_000_000L;
      case "0 < self && self <= 65535" -> {
        long n = ((Number) self).longValue();
        yield 0 < n && n <= 65535;
      }
      case "self != \"*\"" -> !"*".equals(self);
      case "!self.contains(\"*\")" -> !((String) self).contains("*");
      case "self.all(key, !key.contains(\"*\"))" ->
          ((Map<String, Object>) self).keySet().stream().noneMatch(k -> k.contains("*"));
      case "self.all(key, key.size() != 0)" ->
          ((Map<String, Object>) self).keySet().stream().noneMatch(String::isEmpty);
      case "self.all(key, size(key) < 63 && key.matches(\"^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$\"))" ->
          ((Map<String, Object>) self).keySet().stream()
              .allMatch(k -> k.length() < 63 && PORT_NAME.matcher(k).find());
      case "self.all(l1, self.exists_one(l2, l1.number == l2.number))" -> {
        List<Map<String, Object>> ports = (List<Map<String, Object>>) self;
        yield ports.stream().allMatch(p1 -> ports.stream()
            .filter(p2 -> Objects.equals(num(p1.get("number")), num(p2.get("number"))))
            .count() == 1);
      }
      case "has(self.address) || has(self.network)" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        yield m.containsKey("address") || m.containsKey("network");
      }
      case "(has(self.address) ? self.address : \"\").startsWith(\"unix://\") ? !has(self.ports) : true" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        yield !String.valueOf(m.getOrDefault("address", "")).startsWith("unix://")
            || !m.containsKey("ports");
      }
      case "self.startsWith(\"unix://\") ? !self.endsWith(\"/\") : true" -> {
        String s = (String) self;
        yield !s.startsWith("unix://") || !s.endsWith("/");
      }
      case "self.startsWith(\"unix://\") ? (self.substring(7, 8) == \"/\" || self.substring(7, 8) == \"@\") : true" -> {
        String s = (String) self;
        yield !s.startsWith("unix://") || (s.length() > 7 && (s.charAt(7) == '/' || s.charAt(7) == '@'));
      }
      case "(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        yield !(m.containsKey("workloadSelector") && m.containsKey("endpoints"));
      }
      case "!((has(self.addresses) ? self.addresses : []).exists(k, k.contains(\"/\")) && !((has(self.resolution) ? self.resolution : \"NONE\") in [\"STATIC\", \"NONE\"]))" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        boolean cidr = ((List<String>) m.getOrDefault("addresses", List.of())).stream()
            .anyMatch(a -> a.contains("/"));
        yield !(cidr && !List.of("STATIC", "NONE").contains(m.getOrDefault("resolution", "NONE")));
      }
      case "((has(self.resolution) ? self.resolution : \"NONE\") == \"NONE\") ? !has(self.endpoints) : true" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        yield !"NONE".equals(m.getOrDefault("resolution", "NONE")) || !m.containsKey("endpoints");
      }
      case "((has(self.resolution) ? self.resolution : \"\") == \"DNS_ROUND_ROBIN\") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true" -> {
        Map<String, Object> m = (Map<String, Object>) self;
        yield !"DNS_ROUND_ROBIN".equals(m.get("resolution"))
            || ((List<?>) m.getOrDefault("endpoints", List.of())).size() <= 1;
      }
      default -> throw new UnsupportedOperationException(rule);
    };
    return ok ? null : message;
  }

  private static Long num(Object o) {
    return o instanceof Number n ? n.longValue() : null;
  }

  /** Go's time.ParseDuration, which CEL's duration() uses; -1 when it does not parse. */
  static long goDurationNanos(String text) {
    if (text == null || text.isEmpty()) {
      return -1;
    }
    if (text.equals("0")) {
      return 0;
    }
    String rest = text;
    double nanos = 0;
    while (!rest.isEmpty()) {
      var m = GO_DURATION.matcher(rest);
      if (!m.find()) {
        return -1;
      }
      double value = Double.parseDouble(m.group(1));
      nanos += value * switch (m.group(3)) {
        case "ns" -> 1L;
        case "us", "µs" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      rest = rest.substring(m.end());
    }
    return (long) nanos;
  }
}
