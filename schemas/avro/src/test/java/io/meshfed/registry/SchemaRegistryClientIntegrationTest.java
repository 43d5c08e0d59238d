package io.meshfed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The registry client against a real Apicurio Registry speaking the Confluent API. */
class SchemaRegistryClientIntegrationTest {

  private static EmbeddedSchemaRegistry server;
  private static SchemaRegistryClient client;

  private static final Schema V1 = SchemaBuilder.record("Widget").namespace("test.meshfed")
      .fields().requiredString("name").endRecord();
  private static final Schema V2_WITH_DEFAULT = SchemaBuilder.record("Widget")
      .namespace("test.meshfed").fields().requiredString("name")
      .name("size").type().intType().intDefault(1).endRecord();
  private static final Schema V2_WITHOUT_DEFAULT = SchemaBuilder.record("Widget")
      .namespace("test.meshfed").fields().requiredString("name").requiredInt("size").endRecord();

  @BeforeAll
  static void start() {
    // The test JVM's shared registry: the subjects here (widgets-*) are this class's own.
    server = io.meshfed.testing.SharedSchemaRegistry.get();
    client = new SchemaRegistryClient(RegistryConfig.of(server.confluentApiUrl()));
  }

  @Test
  void registerIsIdempotentAndIdsResolveToTheSchema() {
    int id = client.register("widgets-a", V1);
    assertThat(client.register("widgets-a", V1)).isEqualTo(id);
    assertThat(client.lookup("widgets-a", V1).id()).isEqualTo(id);
    // A fresh client has no cache: this goes to the server.
    var fresh = new SchemaRegistryClient(RegistryConfig.of(server.confluentApiUrl()));
    assertThat(fresh.schemaById(id)).isEqualTo(V1);
    assertThat(fresh.latest("widgets-a").schema()).isEqualTo(V1);
  }

  @Test
  void compatibilityLevelDecidesWhichChangesAreAccepted() {
    client.register("widgets-b", V1);
    client.setCompatibility("widgets-b", "FULL_TRANSITIVE");
    assertThat(client.compatibility("widgets-b")).isEqualTo("FULL_TRANSITIVE");
    assertThat(client.isCompatible("widgets-b", V2_WITH_DEFAULT)).isTrue();
    assertThat(client.isCompatible("widgets-b", V2_WITHOUT_DEFAULT)).isFalse();
    int v2 = client.register("widgets-b", V2_WITH_DEFAULT);
    assertThat(client.latest("widgets-b").id()).isEqualTo(v2);
    assertThat(client.latest("widgets-b").version()).isEqualTo(2);
  }

  @Test
  void errorsNameTheSubjectOrIdAndTheHttpStatus() {
    assertThatThrownBy(() -> client.latest("no-such-subject"))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("subject 'no-such-subject'")
        .hasMessageContaining("HTTP 404")
        .satisfies(e -> assertThat(((SchemaRegistryException) e).isNotFound()).isTrue());
    assertThatThrownBy(() -> client.schemaById(424_242))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("schema id 424242")
        .hasMessageContaining("HTTP 404");
  }

  @Test
  void unreachableRegistryIsAClearError() {
    var dead = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:1"));
    assertThatThrownBy(() -> dead.schemaById(1))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("http://127.0.0.1:1")
        .hasMessageContaining("schema id 1")
        .satisfies(e -> assertThat(((SchemaRegistryException) e).httpStatus()).isEqualTo(-1))
        // Refused: a registry restarting, asked again (three more times) before this error.
        .satisfies(e -> assertThat(((SchemaRegistryException) e).isTransient()).isTrue());
  }

  /**
   * Apicurio's ccompat API runs without authentication here, so the Authorization header is
   * checked at a plain JDK HTTP endpoint that records it.
   */
  @Test
  void basicAuthCredentialsAreSentOnEveryRequest() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    endpoint.createContext("/", exchange -> {
      seen.set(exchange.getRequestHeaders().getFirst("Authorization"));
      byte[] body = "{\"schema\":\"\\\"string\\\"\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    endpoint.start();
    try {
      var authed = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:"
          + endpoint.getAddress().getPort()).withBasicAuth("fleet", "s3cret"));
      assertThat(authed.schemaById(7)).isEqualTo(Schema.create(Schema.Type.STRING));
      assertThat(seen.get()).isEqualTo("Basic ZmxlZXQ6czNjcmV0");
    } finally {
      endpoint.stop(0);
    }
  }

  /**
   * A front for the real registry that answers {@code 503} to the first {@code failures}
   * requests and forwards the rest, counting what it was asked.
   */
  private static final class FlakyFront implements AutoCloseable {
    final AtomicInteger requests = new AtomicInteger();
    private final HttpServer front;
    private final java.util.concurrent.CountDownLatch closed =
        new java.util.concurrent.CountDownLatch(1);
    /** Several at once: a request left unanswered must not hold up the next one. */
    private final java.util.concurrent.ExecutorService handlers =
        java.util.concurrent.Executors.newCachedThreadPool();

    FlakyFront(int failures) throws Exception {
      this(0, failures);
    }

    /**
     * {@code silences}: the first requests are never answered (the request a registry dropped);
     * then {@code failures} get 503.
     */
    FlakyFront(int silences, int failures) throws Exception {
      HttpClient forward = HttpClient.newHttpClient();
      front = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      front.setExecutor(handlers);
      front.createContext("/", exchange -> {
        byte[] requestBody = exchange.getRequestBody().readAllBytes();
        int status;
        byte[] body;
        int n = requests.incrementAndGet();
        if (n <= silences) {
          try {
            closed.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
          return;
        }
        if (n <= silences + failures) {
          status = 503;
          body = "{\"error_code\":50301,\"message\":\"restarting\"}"
              .getBytes(StandardCharsets.UTF_8);
        } else {
          HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
              server.confluentApiUrl() + exchange.getRequestURI().toString()
                  .substring("/apis/ccompat/v7".length())))
              .method(exchange.getRequestMethod(), requestBody.length == 0
                  ? HttpRequest.BodyPublishers.noBody()
                  : HttpRequest.BodyPublishers.ofByteArray(requestBody));
          String type = exchange.getRequestHeaders().getFirst("Content-Type");
          if (type != null) {
            request.header("Content-Type", type);
          }
          try {
            HttpResponse<byte[]> answer = forward.send(request.build(),
                HttpResponse.BodyHandlers.ofByteArray());
            status = answer.statusCode();
            body = answer.body();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 500;
            body = new byte[0];
          }
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
          exchange.getResponseBody().write(body);
        }
        exchange.close();
      });
      front.start();
    }

    SchemaRegistryClient client() {
      return new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:"
          + front.getAddress().getPort() + "/apis/ccompat/v7")
          .withRequestTimeout(java.time.Duration.ofSeconds(2)));
    }

    @Override
    public void close() {
      closed.countDown();
      front.stop(0);
      handlers.shutdownNow();
    }
  }

  @Test
  void aRegistryThatAnswers503TwiceIsAskedAgainAndTheAnswerIsTheRealOne() throws Exception {
    int id = client.register("widgets-flaky", V1);
    try (FlakyFront front = new FlakyFront(2)) {
      assertThat(front.client().schemaById(id)).isEqualTo(V1);
      assertThat(front.requests).hasValue(3);
    }
  }

  @Test
  void aRequestTheRegistryDroppedIsAskedOnceMoreAfterTheTimeout() throws Exception {
    try (FlakyFront front = new FlakyFront(1, 0)) {
      assertThat(front.client().register("widgets-dropped", V1)).isPositive();
      assertThat(front.requests).hasValue(2);
    }
    // Dropped twice: the second timeout is the error, after two requests (each waited 2 s).
    try (FlakyFront front = new FlakyFront(2, 0)) {
      assertThatThrownBy(() -> front.client().register("widgets-dropped", V1))
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("HttpTimeoutException")
          .satisfies(e -> assertThat(((SchemaRegistryException) e).isTimeout()).isTrue());
      assertThat(front.requests).hasValue(2);
    }
  }

  @Test
  void aNotFoundIsAnsweredAtOnceNotRetried() throws Exception {
    try (FlakyFront front = new FlakyFront(0)) {
      assertThatThrownBy(() -> front.client().schemaById(424_243))
          .hasMessageContaining("HTTP 404");
      assertThat(front.requests).hasValue(1);
    }
  }

  @Test
  void aRegistryDownLongerThanTheRetriesIsAClearErrorAfterFourTries() throws Exception {
    try (FlakyFront front = new FlakyFront(Integer.MAX_VALUE)) {
      assertThatThrownBy(() -> front.client().register("widgets-down", V1))
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("HTTP 503")
          .hasMessageContaining("restarting")
          .satisfies(e -> assertThat(((SchemaRegistryException) e).isTransient()).isTrue());
      assertThat(front.requests).hasValue(4);
    }
  }

  @Test
  void configRejectsNonsense() {
    assertThatThrownBy(() -> RegistryConfig.of("ftp://registry"))
        .hasMessageContaining("ftp://registry");
    assertThat(RegistryConfig.of("http://r:8081/").url().toString()).isEqualTo("http://r:8081");
  }
}
