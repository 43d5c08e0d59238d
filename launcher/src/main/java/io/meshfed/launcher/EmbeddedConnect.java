package io.meshfed.launcher;

import io.meshfed.testing.FreePorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.testing.ExitWithParent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A distributed Kafka Connect worker (connect-runtime) for the embedded stack, with meshfed's
 * connectors on its classpath, as a child JVM that dies with this one.
 *
 * <ul>
 *   <li><b>A child JVM, not in-process:</b> Connect's REST server is Jetty 12, the query API's
 *       Javalin is Jetty 11; one classpath cannot hold both. The worker's classpath comes from
 *       the connectors module's build ({@code META-INF/meshfed/connect-worker*.txt}), plus this
 *       JVM's logback for its log.
 *   <li><b>Dies with its parent:</b> the {@link ExitWithParent} agent, as for the registry: its
 *       stdin is a pipe from this JVM, and the kernel closes it however this JVM ends.
 *   <li><b>Credentials:</b> on a secured stack the worker's own clients (its group, its config,
 *       offset and status topics) use the stack admin's; each connector is expected to override
 *       its producer with the principal it writes as ({@code producer.override.*}, allowed by
 *       {@code connector.client.config.override.policy=All}), so the connector's writes are held
 *       to that principal's ACLs.
 *   <li>Everything on 127.0.0.1; the REST port is the caller's (0 = a free one).
 * </ul>
 */
public final class EmbeddedConnect implements AutoCloseable {

  static final String GROUP = "meshfed-connect";
  private static final String CLASSPATH_RESOURCE = "/META-INF/meshfed/connect-worker-classpath.txt";
  private static final String RUNTIME_RESOURCE =
      "/META-INF/meshfed/connect-worker-runtime-classpath.txt";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path log;
  private final String restUrl;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private EmbeddedConnect(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.restUrl = "http://127.0.0.1:" + port;
  }

  /**
   * Starts the worker with its files in {@code dir} (worker.properties, connect.log) and waits
   * until its REST API answers, at most {@code within}.
   */
  public static EmbeddedConnect start(Path dir, String bootstrapServers,
      Map<String, ?> clientSecurity, int port, Duration within) throws IOException {
    Files.createDirectories(dir);
    int restPort = port == 0 ? FreePorts.one() : port;
    Map<String, String> props = new LinkedHashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("group.id", GROUP);
    props.put("config.storage.topic", GROUP + "-configs");
    props.put("offset.storage.topic", GROUP + "-offsets");
    props.put("status.storage.topic", GROUP + "-status");
    for (String store : List.of("config", "offset", "status")) {
      props.put(store + ".storage.replication.factor", "1");
    }
    // One machine: a partition per store is plenty (the defaults, 25 and 5, cost start time).
    props.put("offset.storage.partitions", "1");
    props.put("status.storage.partitions", "1");
    props.put("offset.flush.interval.ms", "1000");
    props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("listeners", "http://127.0.0.1:" + restPort);
    props.put("rest.advertised.host.name", "127.0.0.1");
    // Our connectors are declared in META-INF/services: no classpath scan at start.
    props.put("plugin.discovery", "service_load");
    props.put("connector.client.config.override.policy", "All");
    clientSecurity.forEach((k, v) -> {
      for (String prefix : List.of("", "producer.", "consumer.", "admin.")) {
        props.put(prefix + k, String.valueOf(v));
      }
    });
    Path workerProperties = dir.resolve("worker.properties");
    StringBuilder text = new StringBuilder("# the embedded stack's Connect worker\n");
    props.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    EmbeddedStack.writeSecret(workerProperties, text.toString());
    Path logback = dir.resolve("logback.xml");
    Files.writeString(logback, """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
          </appender>
          <logger name="org.apache.kafka.clients" level="WARN"/>
          <root level="INFO"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    Path log = dir.resolve("connect.log");
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-javaagent:" + ExitWithParent.agentJar(dir),
        "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
        "-cp", String.join(java.io.File.pathSeparator, classpath()),
        "org.apache.kafka.connect.cli.ConnectDistributed", workerProperties.toString());
    // stdin stays a pipe from this JVM: ExitWithParent exits the worker when it closes.
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    EmbeddedConnect worker = new EmbeddedConnect(process, log, restPort);
    try {
      worker.awaitReady(within);
    } catch (RuntimeException e) {
      worker.close();
      throw e;
    }
    return worker;
  }

  /**
   * The worker's classpath: the two lists the connectors build wrote, the connectors' own
   * classes (wherever this JVM found them), and this JVM's logback.
   */
  static List<String> classpath() throws IOException {
    Set<String> entries = new LinkedHashSet<>();
    for (String resource : List.of(CLASSPATH_RESOURCE, RUNTIME_RESOURCE)) {
      try (InputStream in = EmbeddedConnect.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("no " + resource.substring(1) + " on the classpath:"
              + " the connectors module is not built (mvn -B -DskipTests package; ./meshfed"
              + " builds it)");
        }
        for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim()
            .split(java.io.File.pathSeparator)) {
          if (!entry.isBlank()) {
            entries.add(entry);
          }
        }
      }
    }
    var own = EmbeddedConnect.class.getResource(CLASSPATH_RESOURCE);
    String location = own.toString();
    // jar:file:/…/meshfed-connectors.jar!/META-INF/… or file:/…/connectors/target/classes/META-INF/…
    String root = location.startsWith("jar:")
        ? location.substring(4, location.indexOf("!/"))
        : location.substring(0, location.length() - CLASSPATH_RESOURCE.length());
    entries.add(Path.of(URI.create(root)).toString());
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.startsWith("logback-classic") || name.startsWith("logback-core")) {
        entries.add(entry);
      }
    }
    return new ArrayList<>(entries);
  }

  private void awaitReady(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the Connect worker exited with " + process.exitValue()
            + "; its log is " + log + tail());
      }
      try {
        if (get("/connector-plugins").toString().contains("PrometheusHealthSourceConnector")) {
          return;
        }
      } catch (IOException | RuntimeException notYet) {
        // still starting
      }
      LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
    }
    throw new IllegalStateException("the Connect worker's REST API did not answer within "
        + within.toSeconds() + " s; its log is " + log + tail());
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10),
          lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  public String restUrl() {
    return restUrl;
  }

  public Path log() {
    return log;
  }

  /** Creates or updates connector {@code name} ({@code PUT /connectors/NAME/config}). */
  public JsonNode putConnector(String name, Map<String, String> config) throws IOException {
    return send("PUT", "/connectors/" + name + "/config", JSON.writeValueAsString(config));
  }

  /** {@code GET path} of the REST API, as JSON. */
  public JsonNode get(String path) throws IOException {
    return send("GET", path, null);
  }

  /** The connector's and its first task's state, e.g. {@code RUNNING/RUNNING}. */
  public String state(String connector) {
    try {
      JsonNode status = get("/connectors/" + connector + "/status");
      JsonNode tasks = status.path("tasks");
      return status.path("connector").path("state").asText("?") + "/"
          + (tasks.isEmpty() ? "no task" : tasks.get(0).path("state").asText("?"));
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private JsonNode send(String method, String path, String body) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(restUrl + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (response.statusCode() >= 300) {
      throw new IOException(method + " " + path + ": HTTP " + response.statusCode() + " "
          + response.body());
    }
    return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
  }


  /** Closes the worker's stdin (it stops gracefully, as on its parent's end) and waits. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already closed
    }
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
