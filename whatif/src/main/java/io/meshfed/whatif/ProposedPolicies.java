package io.meshfed.whatif;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.publish.PolicyMapping;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A proposed policy file (the YAML {@code meshfed apply} takes, meshfed kinds only) as the
 * {@code PolicyEvent}s its agent would publish: the same {@link PolicyMapping}, so the replay
 * sees exactly what the live topology would be sent.
 */
public final class ProposedPolicies {

  /** A file that cannot be used, with a sentence saying why (never a stack trace). */
  public static final class BadPolicy extends IllegalArgumentException {
    public BadPolicy(String message) {
      super(message);
    }
  }

  /** At most this many resources in one proposal: each becomes a record held in memory. */
  static final int MAX_RESOURCES = 100;
  /** At most this many characters of YAML: the body of a request. */
  public static final int MAX_CHARS = 256 * 1024;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ProposedPolicies() {}

  public static List<PolicyEvent> parse(String yaml) {
    if (yaml == null || yaml.isBlank()) {
      throw new BadPolicy("the proposed policy file is empty");
    }
    if (yaml.length() > MAX_CHARS) {
      throw new BadPolicy("the proposed policy file has " + yaml.length() + " characters; at"
          + " most " + MAX_CHARS);
    }
    List<PolicyEvent> events = new ArrayList<>();
    int document = 0;
    try (MappingIterator<GenericKubernetesResource> docs =
        YAML.readerFor(GenericKubernetesResource.class).readValues(yaml)) {
      while (docs.hasNext()) {
        document++;
        GenericKubernetesResource r = docs.next();
        if (r == null) {
          continue;
        }
        String where = "document " + document;
        ResourceKind kind = kindOf(r.getKind(), where);
        if (r.getMetadata() == null || r.getMetadata().getName() == null
            || r.getMetadata().getNamespace() == null) {
          throw new BadPolicy(where + ": metadata.name and metadata.namespace are required");
        }
        List<String> problems = PolicyMapping.numberProblems(kind, r);
        if (!problems.isEmpty()) {
          throw new BadPolicy(where + " (" + kind + " " + r.getMetadata().getNamespace() + "/"
              + r.getMetadata().getName() + "): " + String.join("; ", problems));
        }
        // The live records of the same resource are left out of the replay (see WhatIf), so
        // the proposal needs no generation above theirs; a uid says where it came from.
        if (r.getMetadata().getGeneration() == null) {
          r.getMetadata().setGeneration(1L);
        }
        if (r.getMetadata().getUid() == null) {
          r.getMetadata().setUid("whatif-proposed");
        }
        events.add(PolicyMapping.toEvent(kind, r));
        if (events.size() > MAX_RESOURCES) {
          throw new BadPolicy("more than " + MAX_RESOURCES + " resources in the proposed file");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof BadPolicy bad) {
        throw bad;
      }
      throw new BadPolicy("document " + Math.max(document, 1) + " is not a Kubernetes resource: "
          + firstLine(e.getMessage()));
    }
    if (events.isEmpty()) {
      throw new BadPolicy("the proposed policy file holds no resource");
    }
    return events;
  }

  private static ResourceKind kindOf(String kind, String where) {
    for (ResourceKind k : ResourceKind.values()) {
      if (k != ResourceKind.UNKNOWN_KIND && k.name().equals(kind)) {
        return k;
      }
    }
    throw new BadPolicy(where + ": kind '" + (kind == null ? "" : kind.length() > 60
        ? kind.substring(0, 60) + "..." : kind) + "' is not one of FailoverService,"
        + " VirtualDestination, FailoverPolicy, OutlierDetectionPolicy");
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /** {@code Kind/namespace/name}, as the topology keys a destination or policy. */
  public static String ref(PolicyEvent event) {
    return event.getKind() + "/" + event.getNamespace() + "/" + event.getName();
  }
}
