package io.meshfed.connectors.prometheus;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.meshfed.connectors.Messages;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Instant queries against the Prometheus HTTP API ({@code GET /api/v1/query}). Every way a query
 * can fail — no connection, no answer in time, an HTTP error, an answer that is not Prometheus'
 * JSON or not an instant vector — is one {@link QueryFailedException} with a short message, so
 * the task can treat them alike: no health for that window, try again later.
 */
public final class PrometheusClient {

  /** One series of an instant vector: its labels and its value at the evaluation time. */
  public record Sample(Map<String, String> labels, double value) {}

  /** The query did not give an instant vector; the message says why, in at most ~400 chars. */
  public static final class QueryFailedException extends Exception {
    QueryFailedException(String message, Throwable cause) {
      super(Messages.bounded(message), cause);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI baseUrl;
  private final Duration timeout;
  private final int maxResponseBytes;
  private final HttpClient http;

  public PrometheusClient(URI baseUrl, Duration timeout, int maxResponseBytes) {
    this.baseUrl = baseUrl;
    this.timeout = timeout;
    this.maxResponseBytes = maxResponseBytes;
    this.http = HttpClient.newBuilder()
        .connectTimeout(timeout)
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  /** Evaluates {@code promql} at {@code time}; the result must be an instant vector. */
  public List<Sample> query(String promql, Instant time) throws QueryFailedException {
    String evaluationTime = String.format(java.util.Locale.ROOT, "%.3f", time.toEpochMilli() / 1000.0);
    URI uri = URI.create(baseUrl + "/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8) + "&time=" + evaluationTime);
    String where = baseUrl + "/api/v1/query";
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Accept", "application/json").GET().build();
    HttpResponse<InputStream> response;
    byte[] body;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        body = in.readNBytes(maxResponseBytes + 1);
      }
    } catch (HttpTimeoutException e) {
      throw new QueryFailedException("Prometheus at " + where + " did not answer within "
          + timeout.toMillis() + " ms", e);
    } catch (IOException e) {
      throw new QueryFailedException("Prometheus at " + where + " is unreachable: "
          + Messages.describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueryFailedException("interrupted while querying Prometheus at " + where, e);
    }
    if (body.length > maxResponseBytes) {
      throw new QueryFailedException("Prometheus at " + where + " answered more than "
          + maxResponseBytes + " bytes (prometheus.max.response.bytes)", null);
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      root = null;
    } catch (IOException e) {
      root = null;
    }
    if (response.statusCode() != 200) {
      // Prometheus' own errors (400 bad query, 422 execution, 503 overloaded) carry a JSON
      // body with the reason; anything else gets the start of its body.
      String reason = root != null && root.hasNonNull("error")
          ? root.path("errorType").asText("") + ": " + root.path("error").asText()
          : "body: " + Messages.snippet(body);
      throw new QueryFailedException("Prometheus at " + where + " answered HTTP "
          + response.statusCode() + " (" + reason + ")", null);
    }
    if (root == null || !root.isObject()) {
      throw new QueryFailedException("Prometheus at " + where + " answered something that is"
          + " not its JSON API (body: " + Messages.snippet(body) + ")", null);
    }
    if (!"success".equals(root.path("status").asText())) {
      throw new QueryFailedException("Prometheus at " + where + " answered status '"
          + root.path("status").asText() + "' (" + root.path("errorType").asText("") + ": "
          + root.path("error").asText("") + ")", null);
    }
    JsonNode data = root.path("data");
    String resultType = data.path("resultType").asText("");
    if (!"vector".equals(resultType)) {
      throw new QueryFailedException("the query gave a result of type '" + resultType
          + "', not an instant vector (one series per endpoint): check prometheus.query", null);
    }
    JsonNode result = data.path("result");
    if (!result.isArray()) {
      throw new QueryFailedException("Prometheus at " + where + " answered a vector without a"
          + " result array", null);
    }
    List<Sample> samples = new ArrayList<>(result.size());
    for (JsonNode series : result) {
      JsonNode metric = series.path("metric");
      JsonNode value = series.path("value");
      if (!metric.isObject() || !value.isArray() || value.size() != 2
          || !value.get(1).isTextual()) {
        throw new QueryFailedException("Prometheus at " + where + " answered a series of the"
            + " wrong shape: " + Messages.snippet(series.toString().getBytes(StandardCharsets.UTF_8)),
            null);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      metric.fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
      double parsed;
      try {
        // Prometheus writes NaN, +Inf and -Inf as such; Double.parseDouble reads "NaN" and
        // "Infinity" only.
        String text = value.get(1).asText();
        parsed = switch (text) {
          case "+Inf" -> Double.POSITIVE_INFINITY;
          case "-Inf" -> Double.NEGATIVE_INFINITY;
          default -> Double.parseDouble(text);
        };
      } catch (NumberFormatException e) {
        throw new QueryFailedException("Prometheus at " + where + " answered a sample value '"
            + Messages.bounded(value.get(1).asText()) + "' that is not a number", null);
      }
      samples.add(new Sample(labels, parsed));
    }
    return samples;
  }
}
