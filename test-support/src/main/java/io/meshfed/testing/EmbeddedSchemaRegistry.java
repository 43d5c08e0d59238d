package io.meshfed.testing;

import java.io.IOException;
import java.io.OutputStream;
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
 * Apicurio Registry, unpacked from its Maven Central distribution, run as a child process. Its
 * API and its management interface (health, metrics) listen on 127.0.0.1 only, each on a port
 * of the caller's choosing or a free one, so several registries run side by side on one machine.
 * It speaks the Confluent Schema Registry API under {@code /apis/ccompat/v7}. Apicurio's own
 * API refuses deleting artifacts and versions: a schema id that a record on Kafka refers to must
 * stay resolvable. (Its Confluent-compatible API deletes regardless in 3.3.3: that code path
 * checks no setting, only authorization, which this registry does not run.)
 *
 * <p>The registry JVM runs with the {@link ExitWithParent} agent: it exits when its standard
 * input, a pipe from this JVM, closes. That happens on {@link #close()} and when this JVM ends
 * for any reason — Ctrl-C, SIGTERM, a crash or {@code kill -9} — so no registry process outlives
 * the test or the embedded stack that started it.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

  public static final String VERSION = "3.3.3";
  public static final int MIN_JAVA = 21;
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
  // Generous: on a busy 2-core machine a cold Quarkus start has been seen to take over 90 s,
  // and 224 s at load average 45 (-Dmeshfed.registry.startup.seconds raises it for such runs).
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(
      Long.getLong("meshfed.registry.startup.seconds", 180));

  private final Process process;
  private final OutputStream lifeline;
  private final String baseUrl;
  private final int managementPort;
  private final Path logFile;
  /** The class archive of a registry with a data directory; null without one. */
  private final RegistryClassArchive archive;

  private EmbeddedSchemaRegistry(Process process, String baseUrl, int managementPort,
      Path logFile, RegistryClassArchive archive) {
    this.process = process;
    this.archive = archive;
    this.lifeline = process.getOutputStream();
    this.baseUrl = baseUrl;
    this.managementPort = managementPort;
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
    return launch(dataDir, 0, 0);
  }

  /**
   * As {@link #launch(Path)}, with the API on {@code port} and the management interface on
   * {@code managementPort}, both on 127.0.0.1; 0 takes a free port.
   */
  public static EmbeddedSchemaRegistry launch(Path dataDir, int port, int managementPort) {
    Path home = distribution();
    Path java = JdkLocator.findJava(MIN_JAVA).orElseThrow(() -> new IllegalStateException(
        "Apicurio Registry " + VERSION + " needs a JDK " + MIN_JAVA + " or newer and none was found"
            + " (looked at MESHFED_REGISTRY_JAVA_HOME, JAVA_HOME and /usr/lib/jvm). Install one,"
            + " e.g. 'apt-get install temurin-21-jdk' or any JDK 21+, or point"
            + " MESHFED_REGISTRY_JAVA_HOME at it."));
    int[] free = FreePorts.distinct(2, port, managementPort);
    int httpPort = port == 0 ? free[0] : port;
    // Apicurio 3.3.3 builds its management interface in and ignores enabled=false; left alone it
    // listens on port 9000 of every interface, so a second registry on the machine cannot start.
    int management = managementPort == 0 ? free[1] : managementPort;
    try {
      Path logDir = dataDir != null ? dataDir : Files.createTempDirectory("meshfed-registry");
      Files.createDirectories(logDir);
      Path logFile = logDir.resolve("registry.log");
      List<String> command = new ArrayList<>(List.of(
          java.toString(), "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-javaagent:" + exitWithParentAgent(home, logDir),
          "-Dquarkus.http.host=127.0.0.1",
          "-Dquarkus.http.port=" + httpPort,
          "-Dquarkus.management.host=127.0.0.1",
          "-Dquarkus.management.port=" + management,
          "-Dquarkus.log.console.format=%d{HH:mm:ss.SSS} %-5p [%c{2.}] %s%e%n",
          "-Dapicurio.rest.deletion.artifact.enabled=false",
          "-Dapicurio.rest.deletion.artifact-version.enabled=false"));
      RegistryClassArchive archive = null;
      if (dataDir != null) {
        archive = RegistryClassArchive.seed(dataDir, home, java);
        // Class data sharing for the registry's own classes (JDK 19+): the first run writes
        // the archive when it exits, every later start on this directory (a restart of
        // `meshfed up`) maps it instead of loading and verifying some 20,000 classes; that
        // took a third of the registry's start-up CPU time (5.1 s -> 3.4 s on 2 cores). A
        // JDK or jar that no longer matches the archive makes the JVM write a new one. The
        // JVM refuses to write one with a Java agent unless allowed: ExitWithParent transforms
        // no class, so what is archived is what the registry loads without it. A new
        // directory starts from the archive of an earlier one (RegistryClassArchive).
        command.addAll(1, List.of("-XX:+UnlockDiagnosticVMOptions",
            "-XX:+AllowArchivingWithJavaAgent", "-XX:+AutoCreateSharedArchive",
            "-XX:SharedArchiveFile=" + archive.file()));
        command.add("-Dapicurio.storage.sql.kind=h2");
        command.add("-Dapicurio.datasource.url=jdbc:h2:file:"
            + dataDir.toAbsolutePath().resolve("registry-db") + ";DB_CLOSE_ON_EXIT=FALSE");
      } else if (Files.isRegularFile(RegistryClassArchive.shared(home, java))) {
        // In memory (a test's registry, some 15 starts in `mvn verify`): the shared archive
        // that a registry with a data directory left, mapped read-only (nothing written at
        // exit, so a close is not held up by a dump): 8.1 -> 5.8 s of CPU and 8 -> 5 s to
        // ready, two starts each at load 6-11 on 2 cores. A JDK or jar that no longer
        // matches it is refused by the JVM, which then loads the classes as before.
        command.addAll(1, List.of("-XX:+UnlockDiagnosticVMOptions",
            "-XX:+AllowArchivingWithJavaAgent",
            "-XX:SharedArchiveFile=" + RegistryClassArchive.shared(home, java)));
      }
      command.addAll(List.of("-jar", home.resolve("quarkus-run.jar").toString()));
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(logFile.toFile())
          .start();
      EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(process,
          "http://127.0.0.1:" + httpPort, management, logFile, archive);
      Runtime.getRuntime().addShutdownHook(new Thread(registry::close, "registry-shutdown"));
      return registry;
    } catch (IOException e) {
      throw new IllegalStateException("could not start Apicurio Registry: " + e.getMessage(), e);
    }
  }

  /**
   * A jar holding only {@link ExitWithParent}: a Java agent must come as a jar with a
   * Premain-Class, and the registry starts with {@code -jar}, whose manifest (class path,
   * opened packages) must stay in charge. It is kept beside the distribution, one path for
   * every registry, since the agent jar is part of the class path a class archive is valid
   * for (RegistryClassArchive); next to the log when the distribution is read-only.
   */
  private static Path exitWithParentAgent(Path home, Path logDir) throws IOException {
    try {
      return ExitWithParent.agentJar(home);
    } catch (IOException readOnly) {
      return ExitWithParent.agentJar(logDir);
    }
  }


  /** Whether the registry's process is running (it may not be ready yet). */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The process id of the registry JVM. */
  public long pid() {
    return process.pid();
  }

  /** Port of the management interface (health, metrics), on 127.0.0.1. */
  public int managementPort() {
    return managementPort;
  }

  /** The registry's own base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The Confluent-compatible API root, the URL a schema-registry client is configured with. */
  public String confluentApiUrl() {
    return baseUrl + "/apis/ccompat/v7";
  }

  /**
   * The first lookup of an unknown schema id — the not-found path — has been seen to take over
   * 10 s on a busy 2-core machine (the registry runs with C1 only), longer than a client's
   * request timeout; it is taken once here, with time to spare, so no caller pays it.
   */
  private void warmUp(HttpClient http) throws IOException, InterruptedException {
    HttpRequest unknownId = HttpRequest.newBuilder(URI.create(confluentApiUrl()
        + "/schemas/ids/2147483647")).timeout(Duration.ofSeconds(60)).build();
    http.send(unknownId, HttpResponse.BodyHandlers.discarding());
  }

  /** Blocks until the registry answers, or fails with the tail of its log. */
  public void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentApiUrl() + "/subjects"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Apicurio Registry exited during startup; see " + logFile
            + ":\n" + tail());
      }
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          warmUp(http);
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
        process.waitFor(100, TimeUnit.MILLISECONDS);
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

  /**
   * Closes the registry's lifeline; it stops gracefully, or is killed after 20 s (180 s when
   * it writes the class archive that later registries start from: a one-time cost).
   */
  @Override
  public synchronized void close() {
    if (!process.isAlive()) {
      return;
    }
    try {
      lifeline.close();
    } catch (IOException alreadyGone) {
      // The registry reads end-of-input either way.
    }
    try {
      long seconds = archive != null && archive.writtenAtExit() ? 180 : 20;
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      } else if (archive != null) {
        archive.publish(); // whole: the JVM finished writing it before it exited
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
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

}
