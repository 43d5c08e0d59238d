package io.meshfed.agent.schema;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API server's own rules for names, labels, Services and EndpointSlices, written out from
 * Kubernetes' validation code (k8s.io/apimachinery/pkg/util/validation and
 * pkg/apis/{core,discovery}/validation), because the fabric8 mock server checks none of them.
 * Each method returns the violations, empty when the value is accepted.
 */
public final class KubeRules {

  private static final Pattern DNS1123_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  private static final Pattern DNS1035_LABEL = Pattern.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$");
  private static final Pattern QUALIFIED_NAME =
      Pattern.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");
  private static final Pattern IANA_SVC_NAME = Pattern.compile("^[-a-z0-9]+$");
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile("^" + OCTET + "(\\." + OCTET + "){3}$");
  private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");
  private static final Set<String> ADDRESS_TYPES = Set.of("IPv4", "IPv6", "FQDN");

  private KubeRules() {}

  public static List<String> dns1123Label(String what, String value) {
    return value != null && value.length() <= 63 && DNS1123_LABEL.matcher(value).matches()
        ? List.of() : List.of(what + " '" + value + "' is not a DNS-1123 label");
  }

  public static List<String> dns1123Subdomain(String what, String value) {
    return value != null && value.length() <= 253 && DNS1123_SUBDOMAIN.matcher(value).matches()
        ? List.of() : List.of(what + " '" + value + "' is not a DNS-1123 subdomain");
  }

  public static List<String> dns1035Label(String what, String value) {
    return value != null && value.length() <= 63 && DNS1035_LABEL.matcher(value).matches()
        ? List.of() : List.of(what + " '" + value + "' is not a DNS-1035 label");
  }

  /** A label or annotation key, or an appProtocol: {@code [prefix/]name}. */
  public static List<String> qualifiedName(String what, String key) {
    List<String> out = new ArrayList<>();
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty()) {
        out.add(what + " '" + key + "': empty prefix");
      } else {
        out.addAll(dns1123Subdomain(what + " prefix", prefix));
      }
    }
    if (name.isEmpty() || name.length() > 63 || !QUALIFIED_NAME.matcher(name).matches()) {
      out.add(what + " '" + key + "': name part must be 1-63 alphanumerics, '-', '_' or '.',"
          + " starting and ending alphanumeric");
    }
    return out;
  }

  public static List<String> labelValue(String what, String value) {
    return value.length() <= 63 && LABEL_VALUE.matcher(value).matches() ? List.of()
        : List.of(what + " value '" + value + "' is not a valid label value");
  }

  /** metadata: name (subdomain or DNS-1035 label for Services), namespace, labels. */
  @SuppressWarnings("unchecked")
  public static List<String> metadata(Map<String, Object> object, boolean dns1035Name) {
    List<String> out = new ArrayList<>();
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    String name = (String) meta.get("name");
    out.addAll(dns1035Name ? dns1035Label("metadata.name", name)
        : dns1123Subdomain("metadata.name", name));
    if (meta.get("namespace") != null) {
      out.addAll(dns1123Label("metadata.namespace", (String) meta.get("namespace")));
    }
    Map<String, String> labels = (Map<String, String>) meta.getOrDefault("labels", Map.of());
    labels.forEach((k, v) -> {
      out.addAll(qualifiedName("label key", k));
      out.addAll(labelValue("label " + k, v));
    });
    Map<String, String> annotations =
        (Map<String, String>) meta.getOrDefault("annotations", Map.of());
    annotations.keySet().forEach(k -> out.addAll(qualifiedName("annotation key", k)));
    return out;
  }

  /** IANA_SVC_NAME, as Service port names must be. */
  public static List<String> portName(String what, String name) {
    boolean ok = name.length() <= 15 && IANA_SVC_NAME.matcher(name).matches()
        && name.chars().anyMatch(c -> c >= 'a' && c <= 'z') && !name.contains("--")
        && !name.startsWith("-") && !name.endsWith("-");
    return ok ? List.of() : List.of(what + " '" + name + "' is not a valid IANA service name");
  }

  public static List<String> portNumber(String what, Object port) {
    return port instanceof Integer n && n >= 1 && n <= 65535 ? List.of()
        : List.of(what + " " + port + " is not a port number (1-65535)");
  }

  public static boolean isIpv4(String address) {
    return IPV4.matcher(address).matches();
  }

  public static boolean isIpv6(String address) {
    if (!address.contains(":") || !address.matches("[0-9a-fA-F:.]+")) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(address) instanceof java.net.Inet6Address;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /**
   * IsFullyQualifiedDomainName: a DNS-1123 subdomain of at least two labels, a trailing dot
   * allowed.
   */
  public static boolean isFqdn(String address) {
    String name = address.endsWith(".") ? address.substring(0, address.length() - 1) : address;
    return dns1123Subdomain("", name).isEmpty() && name.contains(".")
        && java.util.Arrays.stream(name.split("\\.")).allMatch(l -> l.length() <= 63);
  }

  /**
   * ValidateNonSpecialIP (pkg/apis/core/validation), which EndpointSlices and Endpoints apply to
   * every IP: no unspecified, loopback, link-local or link-local multicast address.
   */
  public static List<String> nonSpecialIp(String what, String address) {
    java.net.InetAddress ip;
    try {
      ip = java.net.InetAddress.getByName(address);
    } catch (java.net.UnknownHostException e) {
      return List.of(what + " '" + address + "' must be a valid IP address");
    }
    List<String> out = new ArrayList<>();
    if (ip.isAnyLocalAddress()) {
      out.add(what + " '" + address + "' may not be unspecified");
    }
    if (ip.isLoopbackAddress()) {
      out.add(what + " '" + address + "' may not be in the loopback range (127.0.0.0/8, ::1/128)");
    }
    if (ip.isLinkLocalAddress()) {
      out.add(what + " '" + address + "' may not be in the link-local range (169.254.0.0/16,"
          + " fe80::/10)");
    }
    byte[] b = ip.getAddress();
    boolean linkLocalMulticast = b.length == 4
        ? (b[0] & 0xff) == 224 && b[1] == 0 && b[2] == 0
        : (b[0] & 0xff) == 0xff && (b[1] & 0x0f) == 0x02;
    if (linkLocalMulticast) {
      out.add(what + " '" + address + "' may not be in the link-local multicast range"
          + " (224.0.0.0/24, ff02::/10)");
    }
    return out;
  }

  /** pkg/apis/core/validation ValidateService, for the fields a selector-less Service uses. */
  @SuppressWarnings("unchecked")
  public static List<String> service(Map<String, Object> service) {
    List<String> out = new ArrayList<>(metadata(service, true));
    Map<String, Object> spec = (Map<String, Object>) service.get("spec");
    List<Map<String, Object>> ports = (List<Map<String, Object>>) spec.get("ports");
    if (ports == null || ports.isEmpty()) {
      out.add("spec.ports: Required value");
      return out;
    }
    Set<String> names = new HashSet<>();
    for (Map<String, Object> port : ports) {
      String name = (String) port.get("name");
      if (name == null || name.isEmpty()) {
        if (ports.size() > 1) {
          out.add("spec.ports.name: required when there is more than one port");
        }
      } else {
        out.addAll(portName("spec.ports.name", name));
        if (!names.add(name)) {
          out.add("spec.ports.name '" + name + "' is duplicated");
        }
      }
      out.addAll(portNumber("spec.ports.port", port.get("port")));
      if (!PROTOCOLS.contains(port.getOrDefault("protocol", "TCP"))) {
        out.add("spec.ports.protocol " + port.get("protocol") + " is not TCP, UDP or SCTP");
      }
      Object target = port.get("targetPort");
      if (target instanceof String s) {
        out.addAll(portName("spec.ports.targetPort", s));
      } else if (target != null) {
        out.addAll(portNumber("spec.ports.targetPort", target));
      }
      if (port.get("appProtocol") instanceof String app) {
        out.addAll(qualifiedName("spec.ports.appProtocol", app));
      }
    }
    if (spec.get("selector") instanceof Map<?, ?> selector && !selector.isEmpty()) {
      out.add("spec.selector must be empty: the endpoints are meshfed's, not a pod selector's");
    }
    return out;
  }

  /** pkg/apis/discovery/validation ValidateEndpointSlice (discovery.k8s.io/v1). */
  @SuppressWarnings("unchecked")
  public static List<String> endpointSlice(Map<String, Object> slice) {
    List<String> out = new ArrayList<>(metadata(slice, false));
    String type = (String) slice.get("addressType");
    if (!ADDRESS_TYPES.contains(type)) {
      out.add("addressType " + type + " is not IPv4, IPv6 or FQDN");
    }
    List<Map<String, Object>> endpoints =
        (List<Map<String, Object>>) slice.getOrDefault("endpoints", List.of());
    if (endpoints.size() > 1000) {
      out.add("endpoints: " + endpoints.size() + " > 1000");
    }
    for (Map<String, Object> endpoint : endpoints) {
      List<String> addresses = (List<String>) endpoint.get("addresses");
      if (addresses == null || addresses.isEmpty() || addresses.size() > 100) {
        out.add("endpoints.addresses must hold 1-100 addresses");
        continue;
      }
      for (String address : addresses) {
        boolean ok = switch (String.valueOf(type)) {
          case "IPv4" -> isIpv4(address);
          case "IPv6" -> isIpv6(address);
          case "FQDN" -> isFqdn(address);
          default -> false;
        };
        if (!ok) {
          out.add("endpoints.addresses '" + address + "' is not a valid " + type + " address");
        } else if (!"FQDN".equals(type)) {
          out.addAll(nonSpecialIp("endpoints.addresses", address));
        }
      }
      if (endpoint.get("hostname") instanceof String h) {
        out.addAll(dns1123Label("endpoints.hostname", h));
      }
    }
    List<Map<String, Object>> ports =
        (List<Map<String, Object>>) slice.getOrDefault("ports", List.of());
    if (ports.size() > 20000) {
      out.add("ports: more than 20000");
    }
    Set<String> names = new HashSet<>();
    for (Map<String, Object> port : ports) {
      String name = (String) port.getOrDefault("name", "");
      if (!name.isEmpty()) {
        out.addAll(dns1123Label("ports.name", name));
      }
      if (!names.add(name)) {
        out.add("ports.name '" + name + "' is duplicated");
      }
      if (port.get("port") != null) {
        out.addAll(portNumber("ports.port", port.get("port")));
      }
      if (!PROTOCOLS.contains(port.getOrDefault("protocol", "TCP"))) {
        out.add("ports.protocol " + port.get("protocol") + " is not TCP, UDP or SCTP");
      }
      if (port.get("appProtocol") instanceof String app) {
        out.addAll(qualifiedName("ports.appProtocol", app));
      }
    }
    return out;
  }
}
