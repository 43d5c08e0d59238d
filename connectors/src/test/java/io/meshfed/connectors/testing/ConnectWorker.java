package io.meshfed.connectors.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.distributed.DistributedHerder;

/**
 * A real distributed Kafka Connect worker (connect-runtime, in-process) on a test broker, with
 * its REST API on 127.0.0.1 and a free port. Tests deploy connectors through that API, as an
 * operator would.
 */
public final class ConnectWorker implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Connect<DistributedHerder> connect;
  private final String restUrl;

  private ConnectWorker(Connect<DistributedHerder> connect) {
    this.connect = connect;
    this.restUrl = connect.rest().serverUrl().toString().replaceAll("/$", "");
  }

  /** A worker in group {@code groupId}, whose internal topics are prefixed with it. */
  public static ConnectWorker start(String bootstrapServers, String groupId) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("group.id", groupId);
    props.put("config.storage.topic", groupId + "-configs");
    props.put("offset.storage.topic", groupId + "-offsets");
    props.put("status.storage.topic", groupId + "-status");
    props.put("config.storage.replication.factor", "1");
    props.put("offset.storage.replication.factor", "1");
    props.put("status.storage.replication.factor", "1");
    props.put("offset.flush.interval.ms", "1000");
    // The worker's defaults are JSON; a meshfed connector's own config must choose the byte
    // converter, as it must on a real cluster.
    props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("listeners", "http://127.0.0.1:0");
    // Plugins from ServiceLoader manifests (ours is in META-INF/services): no classpath scan.
    props.put("plugin.discovery", "service_load");
    return new ConnectWorker(new ConnectDistributed().startConnect(props));
  }

  /** Calls the REST API; fails on an HTTP error other than 409 (rebalance in progress). */
  public JsonNode rest(String method, String path, JsonNode body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(restUrl + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString()));
    HttpResponse<String> response = HTTP.send(request.build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300 && response.statusCode() != 409) {
      throw new AssertionError(method + " " + path + " -> " + response.statusCode() + ": "
          + response.body());
    }
    return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
  }

  @Override
  public void close() {
    connect.stop();
    connect.awaitStop();
  }
}
