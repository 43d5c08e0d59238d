package io.meshfed.agent.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the API server and Istio's webhook would say of a {@code networking.istio.io/v1}
 * VirtualService of the shape the agent writes (hosts, and http or tcp routes to one
 * destination). Written out, not copied: the schema facts from the VirtualService v1 schema in
 * istio/api's {@code kubernetes/customresourcedefinitions.gen.yaml} at commit b8f8791d (the
 * commit {@code src/test/resources/istio} comes from): the fields each level has (others are
 * pruned, so writing one is a bug), {@code route[].destination} and {@code destination.host}
 * required, {@code port.number} a uint32, {@code weight} an int32; and the webhook's
 * (istio/istio {@code pkg/config/validation} {@code ValidateVirtualService}): at least one host,
 * each a valid domain and not {@code *} for sidecars, at least one of http, tcp or tls, an http
 * route with a route, redirect or directResponse, destination ports 1-65535.
 */
public final class VirtualServiceRules {

  private static final Set<String> SPEC = Set.of("exportTo", "gateways", "hosts", "http", "tcp",
      "tls");
  private static final Set<String> HTTP = Set.of("corsPolicy", "delegate", "directResponse",
      "fault", "headers", "match", "mirror", "mirror_percent", "mirrorPercent",
      "mirrorPercentage", "mirrors", "name", "redirect", "retries", "rewrite", "route",
      "timeout");
  private static final Set<String> HTTP_ROUTE = Set.of("destination", "headers", "weight");
  private static final Set<String> TCP = Set.of("match", "route");
  private static final Set<String> TCP_ROUTE = Set.of("destination", "weight");
  private static final Set<String> DESTINATION = Set.of("host", "port", "subset");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?");

  private VirtualServiceRules() {}

  @SuppressWarnings("unchecked")
  public static List<String> errors(Map<String, Object> spec) {
    List<String> errors = new ArrayList<>();
    unknown("spec", spec, SPEC, errors);
    List<Object> hosts = (List<Object>) spec.getOrDefault("hosts", List.of());
    if (hosts.isEmpty()) {
      errors.add("virtual service must have at least one host");
    }
    for (Object host : hosts) {
      if ("*".equals(host)) {
        errors.add("wildcard host * is not allowed for virtual services bound to the mesh gateway");
      } else if (!(host instanceof String h) || !validDomain(h)) {
        errors.add("spec.hosts: invalid host " + host);
      }
    }
    List<Object> http = (List<Object>) spec.getOrDefault("http", List.of());
    List<Object> tcp = (List<Object>) spec.getOrDefault("tcp", List.of());
    if (http.isEmpty() && tcp.isEmpty() && !spec.containsKey("tls")) {
      errors.add("http, tcp or tls must be provided in virtual service");
    }
    for (Object o : http) {
      Map<String, Object> route = (Map<String, Object>) o;
      unknown("spec.http[]", route, HTTP, errors);
      if (!route.containsKey("route") && !route.containsKey("redirect")
          && !route.containsKey("directResponse")) {
        errors.add("http route must have a route, redirect or directResponse");
      }
      routes("spec.http[].route[]", route, HTTP_ROUTE, errors);
    }
    for (Object o : tcp) {
      Map<String, Object> route = (Map<String, Object>) o;
      unknown("spec.tcp[]", route, TCP, errors);
      if (!route.containsKey("route")) {
        errors.add("tcp route is required");
      }
      routes("spec.tcp[].route[]", route, TCP_ROUTE, errors);
    }
    return errors;
  }

  @SuppressWarnings("unchecked")
  private static void routes(String at, Map<String, Object> route, Set<String> fields,
      List<String> errors) {
    for (Object o : (List<Object>) route.getOrDefault("route", List.of())) {
      Map<String, Object> r = (Map<String, Object>) o;
      unknown(at, r, fields, errors);
      if (r.get("weight") != null && !(r.get("weight") instanceof Integer)) {
        errors.add(at + ".weight: not an int32: " + r.get("weight"));
      }
      Map<String, Object> destination = (Map<String, Object>) r.get("destination");
      if (destination == null) {
        errors.add(at + ".destination: Required value");
        continue;
      }
      unknown(at + ".destination", destination, DESTINATION, errors);
      if (!(destination.get("host") instanceof String host) || !validDomain(host)) {
        errors.add(at + ".destination.host: Required value, a valid host");
      }
      Map<String, Object> port = (Map<String, Object>) destination.get("port");
      if (port != null) {
        unknown(at + ".destination.port", port, Set.of("number"), errors);
        if (!(port.get("number") instanceof Number n) || n.longValue() < 1
            || n.longValue() > 65535) {
          errors.add(at + ".destination.port.number: port number " + port.get("number")
              + " must be in the range 1..65535");
        }
      }
    }
  }

  private static void unknown(String at, Map<String, Object> object, Set<String> fields,
      List<String> errors) {
    object.keySet().stream().filter(k -> !fields.contains(k))
        .forEach(k -> errors.add(at + "." + k + ": unknown field (pruned by the API server)"));
  }

  /** A DNS name of labels of 1-63 letters, digits or '-', at most 255 characters. */
  private static boolean validDomain(String host) {
    if (host.isEmpty() || host.length() > 255) {
      return false;
    }
    for (String label : host.split("\\.", -1)) {
      if (label.length() > 63 || !DNS_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }
}
