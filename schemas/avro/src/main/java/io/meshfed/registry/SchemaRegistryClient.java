package io.meshfed.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A small client for the Confluent Schema Registry REST API, enough for Avro serdes and schema
 * governance: register, look up, fetch by id, latest version, compatibility check and level.
 *
 * <p>Confluent's own client is not on Maven Central, so meshfed carries this one. It works with
 * every server that speaks that API: Confluent Schema Registry, Apicurio
 * ({@code /apis/ccompat/v7}), Karapace and Redpanda. Ids and schemas are immutable once
 * assigned, so both lookups are cached for the life of the client.
 */
public final class SchemaRegistryClient {

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryConfig config;
  private final HttpClient http;
  private final Optional<String> authorization;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySchema = new ConcurrentHashMap<>();

  private record SubjectSchema(String subject, Schema schema) {}

  /** A registered schema version. */
  public record SubjectVersion(String subject, int version, int id, Schema schema) {}

  public SchemaRegistryClient(RegistryConfig config) {
    this.config = config;
    HttpClient.Builder builder = HttpClient.newBuilder()
        .connectTimeout(config.requestTimeout())
        .version(HttpClient.Version.HTTP_1_1);
    config.sslContext().ifPresent(builder::sslContext);
    this.http = builder.build();
    this.authorization = config.basicAuthUser().map(user -> "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + config.basicAuthPassword().orElseThrow())
            .getBytes(StandardCharsets.UTF_8)));
  }

  public RegistryConfig config() {
    return config;
  }

  /**
   * The id under which {@code schema} is known in {@code subject}: registered on first use when
   * auto-registration is on, otherwise looked up (and an error if the schema is not registered).
   */
  public int idFor(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idsBySchema.get(key);
    if (cached != null) {
      return cached;
    }
    int id = config.autoRegister() ? register(subject, schema) : lookup(subject, schema).id();
    idsBySchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  /** Registers {@code schema} under {@code subject} (idempotent) and returns its id. */
  public int register(String subject, Schema schema) {
    JsonNode body = call("register schema under subject '" + subject + "'", "POST",
        "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
    return body.path("id").asInt();
  }

  /** The version of {@code subject} whose schema equals {@code schema}; 404 if there is none. */
  public SubjectVersion lookup(String subject, Schema schema) {
    JsonNode body = call("look up schema in subject '" + subject + "'", "POST",
        "/subjects/" + encode(subject), schemaBody(schema));
    return new SubjectVersion(subject, body.path("version").asInt(), body.path("id").asInt(),
        schema);
  }

  /** The writer schema for {@code id}. */
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode body = call("fetch schema id " + id, "GET", "/schemas/ids/" + id, null);
    Schema schema = parse(body.path("schema").asText(), "schema id " + id);
    schemasById.put(id, schema);
    return schema;
  }

  /** The latest version registered under {@code subject}. */
  public SubjectVersion latest(String subject) {
    JsonNode body = call("fetch latest version of subject '" + subject + "'", "GET",
        "/subjects/" + encode(subject) + "/versions/latest", null);
    return new SubjectVersion(subject, body.path("version").asInt(), body.path("id").asInt(),
        parse(body.path("schema").asText(), "subject '" + subject + "'"));
  }

  /** Whether {@code schema} may be registered next in {@code subject} under its compatibility level. */
  public boolean isCompatible(String subject, Schema schema) {
    JsonNode body = call("check compatibility with subject '" + subject + "'", "POST",
        "/compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema));
    return body.path("is_compatible").asBoolean(false);
  }

  /** Sets the compatibility level of {@code subject}, e.g. {@code FULL_TRANSITIVE}. */
  public void setCompatibility(String subject, String level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level);
    call("set compatibility of subject '" + subject + "' to " + level, "PUT",
        "/config/" + encode(subject), body);
  }

  /** The compatibility level set on {@code subject}. */
  public String compatibility(String subject) {
    JsonNode body = call("get compatibility of subject '" + subject + "'", "GET",
        "/config/" + encode(subject), null);
    JsonNode level = body.has("compatibilityLevel") ? body.get("compatibilityLevel")
        : body.path("compatibility");
    return level.asText();
  }

  private static ObjectNode schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schemaType", "AVRO").put("schema", schema.toString());
  }

  /**
   * Pauses before the second, third and fourth try of a call that failed transiently (see
   * {@link SchemaRegistryException#isTransient}): 1.3 s in all, so a registry restarting or
   * briefly overloaded costs a stream thread a pause, not a good record sent to the dead-letter
   * topic as if it were undecodable — and stays well inside an exactly-once transaction's 10 s.
   * Every call is idempotent (a register of a registered schema returns its id). A call that
   * timed out is asked again once, at once ({@link SchemaRegistryException#isTimeout}: a request
   * the registry dropped), not more: each timeout has waited the whole request timeout.
   */
  private static final long[] RETRY_PAUSES_MS = {100, 300, 900};

  private JsonNode call(String operation, String method, String path, JsonNode body) {
    boolean timedOut = false;
    for (int attempt = 0; ; attempt++) {
      try {
        return callOnce(operation, method, path, body);
      } catch (SchemaRegistryException e) {
        if (e.isTimeout() && !timedOut) {
          timedOut = true;
          continue;
        }
        if (attempt >= RETRY_PAUSES_MS.length || !e.isTransient()) {
          throw e;
        }
        try {
          // A retry's pause on the calling thread, not a test's wait.
          Thread.sleep(RETRY_PAUSES_MS[attempt]);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private JsonNode callOnce(String operation, String method, String path, JsonNode body) {
    URI uri = URI.create(config.url() + path);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(config.requestTimeout())
        .header("Accept", CONTENT_TYPE + ", application/json");
    authorization.ifPresent(value -> request.header("Authorization", value));
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", CONTENT_TYPE)
          .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SchemaRegistryException("schema registry at " + config.url() + ": could not "
          + operation + ": " + e, -1, -1, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while trying to " + operation, -1, -1, e);
    }
    JsonNode json = readJson(response.body());
    int status = response.statusCode();
    if (status / 100 != 2) {
      int errorCode = json.path("error_code").asInt(-1);
      String detail = json.path("message").asText(response.body());
      throw new SchemaRegistryException("schema registry at " + config.url() + ": could not "
          + operation + ": HTTP " + status + (errorCode >= 0 ? " (error " + errorCode + ")" : "")
          + ": " + detail, status, errorCode, null);
    }
    return json;
  }

  private static JsonNode readJson(String text) {
    if (text == null || text.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(text);
    } catch (IOException notJson) {
      return JSON.createObjectNode().put("message", text);
    }
  }

  private static Schema parse(String text, String what) {
    try {
      return new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw new SchemaRegistryException("schema registry returned an unparseable schema for "
          + what + ": " + e.getMessage(), 200, -1, e);
    }
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8);
  }
}
