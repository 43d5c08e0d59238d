package io.meshfed.agent.apply;

import io.meshfed.avro.ResourceRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * How the agent marks what it owns and names what it writes. It never touches an object without
 * {@link #MANAGED_BY_LABEL}; names are DNS-1123 labels derived from the destination, shortened
 * with a hash when too long, so the same destination always maps to the same objects.
 */
public final class Ownership {

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "meshfed-agent";
  /** Which destination an object belongs to (a hash of Kind/ns/name, label-value safe). */
  public static final String DESTINATION_LABEL = "meshfed.io/destination";
  /** The destination as text, for people. */
  public static final String DESTINATION_ANNOTATION = "meshfed.io/destination";
  public static final String EPOCH_ANNOTATION = "meshfed.io/epoch";

  private Ownership() {}

  public static String destinationKey(ResourceRef ref) {
    return ref.getKind() + "/" + ref.getNamespace() + "/" + ref.getName();
  }

  /** A label-value-safe id of a destination: 16 hex characters of its SHA-256. */
  public static String destinationId(ResourceRef ref) {
    return hash(destinationKey(ref)).substring(0, 16);
  }

  public static Map<String, String> labels(ResourceRef ref) {
    return Map.of(MANAGED_BY_LABEL, MANAGED_BY_VALUE, DESTINATION_LABEL, destinationId(ref));
  }

  /**
   * The base name of the objects for a destination: {@code <kind>-<ns>-<name>} in lower case,
   * at most {@code max} characters (a hash suffix keeps long names unique).
   */
  public static String baseName(ResourceRef ref, int max) {
    String kind = ref.getKind().name().equals("FailoverService") ? "fs" : "vd";
    String raw = (kind + "-" + ref.getNamespace() + "-" + ref.getName()).toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9-]", "-");
    if (raw.length() <= max) {
      return raw;
    }
    String suffix = hash(raw).substring(0, 8);
    String head = raw.substring(0, max - suffix.length() - 1).replaceAll("-+$", "");
    return head + "-" + suffix;
  }

  public static boolean isOwned(Map<String, String> labels) {
    return labels != null && MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY_LABEL));
  }

  /** SHA-256 of the text, in hex: stable short ids for names and label values. */
  static String hash(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
