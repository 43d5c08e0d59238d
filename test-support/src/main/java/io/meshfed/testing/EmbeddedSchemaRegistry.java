package io.meshfed.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry, unpacked from its Maven Central distribution, run as a child process on
 * 127.0.0.1 with a free port. It speaks the Confluent Schema Registry API under
 * {@code /apis/ccompat/v7}.
 *
 * <p>The child is started through a small shell guard that reads its standard input: when this
 * JVM exits for any reason — even {@code kill -9} — the pipe closes and the guard kills the
 * registry, so no registry process outlives the test or the embedded stack that started it.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

  public static final String VERSION = "3.3.3";
  public static final int MIN_JAVA = 21;
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
  // Generous: on a busy 2-core machine a cold Quarkus start has been seen to take over 90 s.
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);

  private final Process guard;
  private final OutputStream guardInput;
  private final String baseUrl;
  private final Path logFile;

  private EmbeddedSchemaRegistry(Process guard, String baseUrl, Path logFile) {
    this.guard = guard;
    this.guardInput = guard.getOutputStream();
    this.baseUrl = baseUrl;
    this.logFile = logFile;
  }

  /**
   * Starts the registry with in-memory storage. The distribution is found through the system
   * property {@code meshfed.apicurio.home} (set by the build) or {@code MESHFED_APICURIO_HOME}.
   */
  public static EmbeddedSchemaRegistry start() {
    return start(null);
  }

  /** Starts the registry and waits until its API answers. */
  public static EmbeddedSchemaRegistry start(Path dataDir) {
    EmbeddedSchemaRegistry registry = launch(dataDir);
    registry.awaitReady();
    return registry;
  }

  /**
   * Launches the registry without waiting for it (call {@link #awaitReady()}), so a caller can
   * start other things meanwhile. With {@code dataDir} set, its storage is an H2 database file there, so
   * a later start on the same directory keeps every registered schema and id.
   */
  public static EmbeddedSchemaRegistry launch(Path dataDir) {
    Path home = distribution();
    Path java = JdkLocator.findJava(MIN_JAVA).orElseThrow(() -> new IllegalStateException(
        "Apicurio Registry " + VERSION + " needs a JDK " + MIN_JAVA + " or newer and none was found"
            + " (looked at MESHFED_REGISTRY_JAVA_HOME, JAVA_HOME and /usr/lib/jvm). Install one,"
            + " e.g. 'apt-get install temurin-21-jdk' or any JDK 21+, or point"
            + " MESHFED_REGISTRY_JAVA_HOME at it."));
    int port = freePort();
    try {
      Path logDir = dataDir != null ? dataDir : Files.createTempDirectory("meshfed-registry");
      Files.createDirectories(logDir);
      Path logFile = logDir.resolve("registry.log");
      List<String> command = new ArrayList<>(List.of(
          "bash", "-c",
          // Start the registry, then wait for our stdin to close (this JVM gone or close()).
          "\"$@\" & child=$!; read -r _; kill $child 2>/dev/null; wait $child",
          "meshfed-registry-guard",
          java.toString(), "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-Dquarkus.http.host=127.0.0.1",
          "-Dquarkus.http.port=" + port,
          "-Dquarkus.management.enabled=false",
          // 3.3.3 enables its management interface at build time (the switch above is
          // ignored), on every interface at port 9000: a second registry on the host failed to
          // start, and it listened beyond loopback. Loopback and a free port, as for HTTP.
          "-Dquarkus.management.host=127.0.0.1",
          "-Dquarkus.management.port=" + freePort(),
          "-Dquarkus.log.console.format=%d{HH:mm:ss.SSS} %-5p [%c{2.}] %s%e%n",
          "-Dapicurio.rest.deletion.artifact.enabled=true",
          "-Dapicurio.rest.deletion.artifact-version.enabled=true"));
      if (dataDir != null) {
        command.add("-Dapicurio.storage.sql.kind=h2");
        command.add("-Dapicurio.datasource.url=jdbc:h2:file:"
            + dataDir.toAbsolutePath().resolve("registry-db") + ";DB_CLOSE_ON_EXIT=FALSE");
      }
      command.addAll(List.of("-jar", home.resolve("quarkus-run.jar").toString()));
      Process guard = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(logFile.toFile())
          .start();
      EmbeddedSchemaRegistry registry =
          new EmbeddedSchemaRegistry(guard, "http://127.0.0.1:" + port, logFile);
      Runtime.getRuntime().addShutdownHook(new Thread(registry::close, "registry-shutdown"));
      return registry;
    } catch (IOException e) {
      throw new IllegalStateException("could not start Apicurio Registry: " + e.getMessage(), e);
    }
  }

  /** The registry's own base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The Confluent-compatible API root, the URL a schema-registry client is configured with. */
  public String confluentApiUrl() {
    return baseUrl + "/apis/ccompat/v7";
  }

  /** Blocks until the registry answers, or fails with the tail of its log. */
  public void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentApiUrl() + "/subjects"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!guard.isAlive()) {
        throw new IllegalStateException("Apicurio Registry exited during startup; see " + logFile
            + ":\n" + tail());
      }
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          LOG.info("Apicurio Registry {} ready at {}", VERSION, baseUrl);
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
      try {
        guard.waitFor(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    close();
    throw new IllegalStateException("Apicurio Registry not ready after " + STARTUP_TIMEOUT
        + "; see " + logFile + ":\n" + tail());
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public synchronized void close() {
    if (!guard.isAlive()) {
      return;
    }
    try {
      guardInput.write('\n');
      guardInput.flush();
      guardInput.close();
    } catch (IOException alreadyGone) {
      // The guard reads EOF either way.
    }
    try {
      if (!guard.waitFor(20, TimeUnit.SECONDS)) {
        guard.descendants().forEach(ProcessHandle::destroyForcibly);
        guard.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      guard.descendants().forEach(ProcessHandle::destroyForcibly);
      guard.destroyForcibly();
    }
  }

  static Path distribution() {
    String configured = System.getProperty("meshfed.apicurio.home",
        System.getenv().getOrDefault("MESHFED_APICURIO_HOME",
            Path.of(System.getProperty("user.home"), ".cache", "meshfed",
                "apicurio-registry-" + VERSION).toString()));
    Path home = Path.of(configured);
    if (!Files.isRegularFile(home.resolve("quarkus-run.jar"))) {
      throw new IllegalStateException("Apicurio Registry distribution not found at " + home
          + " (no quarkus-run.jar). Run 'mvn -B verify' (or 'mvn -pl test-support generate-resources')"
          + " once: it unpacks io.apicurio:apicurio-registry-app:" + VERSION + ":tar.gz:all there.");
    }
    return home;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port on 127.0.0.1", e);
    }
  }
}
