package io.meshfed.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.sse.SseClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /v1/live}: the dashboard's feed, Server-Sent Events. Every
 * {@value #PERIOD_MILLIS} ms it reads the fleet through this instance's own REST API (with the
 * caller's token, so the API's authorization and its forwarding to the instance that owns a
 * key apply unchanged) and sends a {@code snapshot} event when anything changed: clusters,
 * destinations with each client cluster's tiers and split, and the latest decisions.
 *
 * <p>Bounded: at most {@value #MAX_CLIENTS} feeds at once (503 beyond), at most
 * {@value #MAX_DESTINATIONS} destinations followed; it is a dashboard for a person, not an
 * export — the REST API and {@code meshfed.failover-events} are for machines.
 */
final class LiveFeed implements AutoCloseable {

  static final int MAX_CLIENTS = 16;
  static final int MAX_DESTINATIONS = 50;
  static final long PERIOD_MILLIS = 500;
  private static final int DECISIONS_PER_DESTINATION = 10;
  private static final int DECISIONS = 40;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String self;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ScheduledExecutorService ticks = Executors.newScheduledThreadPool(1, r -> {
    Thread t = new Thread(r, "meshfed-live-feed");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger clients = new AtomicInteger();

  /** @param self this instance's base URL, e.g. {@code http://127.0.0.1:8080} */
  LiveFeed(String self) {
    this.self = self;
  }

  void accept(SseClient client) {
    if (clients.incrementAndGet() > MAX_CLIENTS) {
      clients.decrementAndGet();
      client.sendEvent("error", "{\"error\":\"more than " + MAX_CLIENTS + " live feeds are"
          + " open on this instance\"}");
      client.close();
      return;
    }
    String authorization = client.ctx().header("Authorization");
    client.keepAlive();
    String[] last = {null};
    long[] quietSince = {System.nanoTime()};
    ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
    Runnable stop = () -> {
      if (task[0] != null && task[0].cancel(false)) {
        clients.decrementAndGet();
      }
    };
    client.onClose(stop);
    task[0] = ticks.scheduleWithFixedDelay(() -> {
      if (client.terminated()) {
        stop.run();
        return;
      }
      try {
        String snapshot = JSON.writeValueAsString(snapshot(authorization));
        if (!snapshot.equals(last[0])) {
          last[0] = snapshot;
          client.sendEvent("snapshot", snapshot);
          quietSince[0] = System.nanoTime();
        } else if (System.nanoTime() - quietSince[0] > TimeUnit.SECONDS.toNanos(15)) {
          // Proxies close a connection that says nothing for long.
          client.sendComment("keep-alive");
          quietSince[0] = System.nanoTime();
        }
      } catch (Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        try {
          client.sendEvent("error", JSON.writeValueAsString(Map.of("error", message)));
        } catch (Exception ignored) {
          stop.run();
        }
      }
    }, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
  }

  private Map<String, Object> snapshot(String authorization) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("servedAt", Instant.now().toString());
    JsonNode clusters = get("/v1/clusters", authorization).get("items");
    List<String> clusterNames = new ArrayList<>();
    clusters.forEach(c -> clusterNames.add(c.get("name").asText()));
    out.put("clusters", clusters);
    List<Map<String, Object>> destinations = new ArrayList<>();
    List<JsonNode> decisions = new ArrayList<>();
    for (String list : List.of("/v1/failover-services", "/v1/virtual-destinations")) {
      for (JsonNode d : get(list, authorization).get("items")) {
        if (destinations.size() == MAX_DESTINATIONS) {
          out.put("truncated", true);
          break;
        }
        String id = d.get("kind").asText() + "/" + d.get("namespace").asText() + "/"
            + d.get("name").asText();
        Map<String, Object> destination = new LinkedHashMap<>();
        destination.put("id", id);
        destination.put("hostnames", d.get("hostnames"));
        destination.put("state", d.at("/status/state").asText("PENDING"));
        List<JsonNode> perClient = new ArrayList<>();
        for (String cluster : clusterNames) {
          JsonNode client = getOrNull("/v1/destinations/" + id + "/clients/" + cluster,
              authorization);
          if (client != null) {
            perClient.add(client);
          }
        }
        destination.put("clients", perClient);
        destinations.add(destination);
        get("/v1/decisions?destination=" + URLEncoder.encode(id, StandardCharsets.UTF_8)
            + "&limit=" + DECISIONS_PER_DESTINATION, authorization).get("items")
            .forEach(n -> decisions.add(((com.fasterxml.jackson.databind.node.ObjectNode) n)
                .put("destination", id)));
      }
    }
    out.put("destinations", destinations);
    decisions.sort(Comparator.comparing((JsonNode n) -> n.get("time").asText()).reversed());
    out.put("decisions", decisions.subList(0, Math.min(DECISIONS, decisions.size())));
    return out;
  }

  private JsonNode get(String path, String authorization) throws Exception {
    JsonNode node = getOrNull(path, authorization);
    if (node == null) {
      throw new IllegalStateException(path + " was not found");
    }
    return node;
  }

  private JsonNode getOrNull(String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(self + path))
        .timeout(Duration.ofSeconds(5));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<String> response = http.send(request.build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 404) {
      return null;
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + response.statusCode() + ": "
          + response.body());
    }
    return JSON.readTree(response.body());
  }

  @Override
  public void close() {
    ticks.shutdownNow();
  }
}
