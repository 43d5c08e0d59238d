package io.meshfed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
        .satisfies(e -> assertThat(((SchemaRegistryException) e).httpStatus()).isEqualTo(-1));
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

  @Test
  void configRejectsNonsense() {
    assertThatThrownBy(() -> RegistryConfig.of("ftp://registry"))
        .hasMessageContaining("ftp://registry");
    assertThat(RegistryConfig.of("http://r:8081/").url().toString()).isEqualTo("http://r:8081");
  }
}
