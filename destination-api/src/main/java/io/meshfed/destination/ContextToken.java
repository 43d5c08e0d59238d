package io.meshfed.destination;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.topics.ClusterTopic;

/**
 * The client cluster a lookup is for, from {@code GetDestination.context_token}.
 *
 * <p>Format: a JSON object with a {@code cluster} field, e.g. {@code {"cluster":"mgmt-cluster"}}.
 * Other fields are ignored, so Linkerd's own token ({@code {"ns":"…","nodeName":"…"}}) with a
 * {@code cluster} added is accepted as is. An empty token, or one without {@code cluster}, means
 * the server's default client cluster when one is configured (a meshfed instance next to one
 * cluster's proxies); without a default it is an error.
 */
public record ContextToken(String cluster) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses a token; the message of the exception names what is wrong with it. */
  public static ContextToken parse(String token, String defaultCluster) {
    String cluster = null;
    if (token != null && !token.isBlank()) {
      JsonNode node;
      try {
        node = JSON.readTree(token);
      } catch (JsonProcessingException e) {
        // Jackson's message can quote the input; keep it to a readable length.
        throw new IllegalArgumentException("context_token is not JSON: "
            + StatusMessages.bound(e.getOriginalMessage())
            + "; expected {\"cluster\":\"<client cluster>\"}");
      }
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("context_token must be a JSON object, e.g."
            + " {\"cluster\":\"mgmt-cluster\"}");
      }
      JsonNode field = node.get("cluster");
      if (field != null && !field.isTextual()) {
        throw new IllegalArgumentException("context_token field cluster must be a string");
      }
      cluster = field == null ? null : field.asText();
    }
    if (cluster == null) {
      if (defaultCluster == null) {
        throw new IllegalArgumentException("context_token names no client cluster; expected"
            + " {\"cluster\":\"<client cluster>\"} (this server has no default cluster)");
      }
      cluster = defaultCluster;
    }
    if (!ClusterTopic.CLUSTER_NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException("context_token cluster " + StatusMessages.quote(cluster)
          + " is not a valid cluster name (lowercase DNS label)");
    }
    return new ContextToken(cluster);
  }
}
