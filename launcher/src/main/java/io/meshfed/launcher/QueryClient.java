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
 * exit codes (1 not found, 3 unreachable or a bad answer), naming the address and where it
 * came from.
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

  private final StackOptions.Endpoint server;
  /** Sent as {@code Authorization: Bearer}; null sends none. */
  private final String token;
  /** Where the token came from, for an error (never the token itself). */
  private final String tokenSource;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  QueryClient(StackOptions.Endpoint server) {
    this(server, null);
  }

  QueryClient(StackOptions.Endpoint server, StackOptions.Token token) {
    this.server = server;
    this.token = token == null ? null : token.value();
    this.tokenSource = token == null ? null : token.source();
  }

  /** A client of the URL given in code (tests). */
  QueryClient(String server) {
    this(new StackOptions.Endpoint(server, "given"));
  }

  /** The query API the options name ({@link StackOptions#queryApi}). */
  static QueryClient of(StackOptions.QueryOptions options) throws Failed {
    try {
      StackOptions.Endpoint server = options.queryApi();
      return new QueryClient(server, options.token(server));
    } catch (StackOptions.StackUnreachable e) {
      throw new Failed(3, e.getMessage());
    }
  }

  /**
   * POSTs {@code body} and returns the answer's text: 400 is the caller's mistake (exit 2),
   * every other failure maps as for {@link #get}. {@code timeout} bounds the whole request.
   */
  String post(String path, String contentType, String body, String accept, Duration timeout)
      throws Failed, InterruptedException {
    HttpResponse<String> response;
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.address() + path))
          .timeout(timeout).header("Content-Type", contentType).header("Accept", accept)
          .POST(HttpRequest.BodyPublishers.ofString(body));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | IllegalArgumentException e) {
      throw new Failed(3, "cannot reach the query API at " + server + ": " + Causes.of(e));
    }
    if (response.statusCode() == 400) {
      throw new Failed(2, errorOf(response.body()));
    }
    if (response.statusCode() == 404) {
      throw new Failed(1, "not found: " + errorOf(response.body()));
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new Failed(3, "the query API at " + server + " refused the request ("
          + response.statusCode() + ")" + (token == null ? "; it wants a token: set $"
              + StackOptions.QueryOptions.TOKEN_ENV : ""));
    }
    if (response.statusCode() != 200) {
      throw new Failed(3, "the query API at " + server + " answered " + response.statusCode()
          + ": " + Causes.bounded(errorOf(response.body())));
    }
    return response.body();
  }

  /** The {@code error} of a JSON error body, else the body. */
  private static String errorOf(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.hasNonNull("error")) {
        return node.get("error").asText();
      }
    } catch (IOException notJson) {
      // said as it came
    }
    return body;
  }

  JsonNode get(String path) throws Failed, InterruptedException {
    HttpResponse<String> response;
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.address() + path))
          .timeout(Duration.ofSeconds(10));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | IllegalArgumentException e) {
      throw new Failed(3, "cannot reach the query API at " + server + ": " + Causes.of(e));
    }
    if (response.statusCode() == 404) {
      throw new Failed(1, "not found: " + path);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new Failed(3, "the query API at " + server + " refused the request ("
          + response.statusCode() + "): " + (token == null ? "it wants a token; set $"
              + StackOptions.QueryOptions.TOKEN_ENV : "the token " + tokenSource + " is not"
              + " accepted there"));
    }
    if (response.statusCode() != 200) {
      throw new Failed(3, "the query API at " + server + " answered " + response.statusCode()
          + ": " + Causes.bounded(response.body()));
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new Failed(3, "unreadable answer from the query API at " + server + ": "
          + Causes.of(e));
    }
  }
}
