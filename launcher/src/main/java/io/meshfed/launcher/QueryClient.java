package io.meshfed.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The CLI's way to the query API: one GET, JSON back, and every failure mapped to the CLI's
 * exit codes (1 not found, 3 unreachable or a bad answer).
 */
final class QueryClient {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A request that failed, with the exit code it maps to. */
  static final class Failed extends Exception {
    final int exit;

    Failed(int exit, String message) {
      super(message);
      this.exit = exit;
    }
  }

  private final String server;
  private final HttpClient http = HttpClient.newHttpClient();

  QueryClient(String server) {
    this.server = server;
  }

  /**
   * The query API to ask: {@code server} when given, else the one the {@code meshfed up} in
   * {@code dir} wrote to its endpoints file (its port differs from 8080 when 8080 was taken,
   * e.g. by another stack), else {@code http://localhost:8080}.
   */
  static QueryClient of(String server, java.nio.file.Path dir) {
    if (server != null) {
      return new QueryClient(server);
    }
    java.nio.file.Path endpoints = dir.resolve(EmbeddedStack.ENDPOINTS_FILE);
    java.util.Properties p = new java.util.Properties();
    try (var in = java.nio.file.Files.newInputStream(endpoints)) {
      p.load(in);
    } catch (IOException noStackThere) {
      // Not a directory of a running stack: the default address.
    }
    return new QueryClient(p.getProperty("query.url", "http://localhost:8080"));
  }

  JsonNode get(String path) throws Failed, InterruptedException {
    HttpResponse<String> response;
    try {
      response = http.send(HttpRequest.newBuilder(URI.create(server + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | IllegalArgumentException e) {
      throw new Failed(3, "cannot reach " + server + ": " + e.getMessage());
    }
    if (response.statusCode() == 404) {
      throw new Failed(1, "not found: " + path);
    }
    if (response.statusCode() != 200) {
      throw new Failed(3, server + " answered " + response.statusCode() + ": "
          + response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new Failed(3, "unreadable answer from " + server + ": " + e.getMessage());
    }
  }
}
