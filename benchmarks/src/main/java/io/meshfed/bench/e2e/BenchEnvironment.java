package io.meshfed.bench.e2e;

import io.meshfed.admin.AccessAdmin;
import io.meshfed.admin.AccessPlan;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The real broker and registry every measurement runs on, and topology instances on them. The
 * broker is open; {@link #secured()} gives a second, secured one on the same registry.
 */
final class BenchEnvironment implements AutoCloseable {

  private final Path work;
  private final EmbeddedSchemaRegistry registry;
  private final EmbeddedKafka kafka;
  private final RegistryConfig registryConfig;
  private final AvroSerde<SpecificRecord> serde;
  /**
   * False for a {@link #secured()} environment (its registry is the parent's) and for one on a
   * registry the caller keeps (the test JVM's shared one): closing leaves the registry running.
   */
  private final boolean ownsRegistry;
  /** False for a {@link #secured()} or {@link #open()} environment: the work is the parent's. */
  private final boolean ownsWork;
  /**
   * Partitions of the topologies' own repartition topics, or 0 for meshfed's default. The quick
   * run sets a few: every task opens its stores, changelogs and (exactly-once) transactions at
   * each start and rebalance, and the quick run starts a dozen topologies to check the harness,
   * not the figures.
   */
  private final int partitions;
  /** A quick run's environment (it checks the harness, not the figures); see {@link #quick}. */
  private final boolean quick;

  BenchEnvironment() throws IOException {
    this(0);
  }

  BenchEnvironment(int partitions) throws IOException {
    this(partitions, null);
  }

  BenchEnvironment(int partitions, EmbeddedSchemaRegistry registry) throws IOException {
    this(partitions, registry, false);
  }

  /**
   * On {@code registry} when given (kept running on close: the smoke test passes the test JVM's
   * shared one, saving a registry start, a child JVM's seconds of CPU); else on a registry of
   * its own, started here.
   */
  BenchEnvironment(int partitions, EmbeddedSchemaRegistry registry, boolean quick)
      throws IOException {
    this.partitions = partitions;
    this.quick = quick;
    work = Files.createTempDirectory("meshfed-bench");
    ownsRegistry = registry == null;
    this.registry = ownsRegistry ? EmbeddedSchemaRegistry.launch(work.resolve("registry"))
        : registry;
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    this.registry.awaitReady();
    registryConfig = RegistryConfig.of(this.registry.confluentApiUrl()).withAutoRegister(true);
    serde = AvroSerde.anyRecord(new SchemaRegistryClient(registryConfig));
    ownsWork = true;
  }

  private BenchEnvironment(BenchEnvironment parent, EmbeddedKafka kafka) {
    this.work = parent.work;
    this.registry = parent.registry;
    this.kafka = kafka;
    this.registryConfig = parent.registryConfig;
    this.serde = parent.serde;
    this.ownsRegistry = false;
    this.ownsWork = false;
    this.partitions = parent.partitions;
    this.quick = parent.quick;
  }

  /**
   * Whether this is a quick run's environment: its probes stop waiting for flips that were
   * coalesced sooner ({@link LatencyProbe#awaitDrained}).
   */
  boolean quick() {
    return quick;
  }

  /**
   * A second broker, secured as {@code meshfed up} runs it (SASL SCRAM-SHA-512 over
   * SASL_PLAINTEXT on loopback, {@code StandardAuthorizer}, nothing allowed without an ACL),
   * sharing this environment's registry and work directory; closing it stops only its broker.
   * Topologies on it run as {@code meshfed-topology} with exactly the grants of
   * {@code meshfed admin grant-topology} and {@code add-cluster}; the benchmark's own clients
   * (probe, load) authenticate as the admin.
   */
  BenchEnvironment secured() {
    return new BenchEnvironment(this, EmbeddedKafka.start(work.resolve("kafka-secured"), 0,
        EmbeddedKafka.Security.generated()));
  }

  /**
   * A fresh open broker of its own, sharing the registry: the unsecured side of a comparison
   * with {@link #secured()}, so that neither side inherits the run's shared broker and what
   * earlier sections left on it.
   */
  BenchEnvironment open() {
    return new BenchEnvironment(this, EmbeddedKafka.start(work.resolve("kafka-open"), 0, null));
  }

  boolean isSecured() {
    return kafka.security() != null;
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /**
   * Settings for the benchmark's own Kafka clients, bootstrap servers included: on a secured
   * broker the admin's SASL settings.
   */
  Map<String, Object> clientSettings() {
    return kafka.adminClientSettings();
  }

  AvroSerde<SpecificRecord> serde() {
    return serde;
  }

  EmbeddedKafka kafka() {
    return kafka;
  }

  Path work() {
    return work;
  }

  void provision(Fleet fleet) {
    provision(fleet.clusterNames());
  }

  void provision(List<String> clusters) {
    if (isSecured()) {
      // As 'meshfed admin add-cluster' does: topics, the agent's credential, and the ACLs of
      // the agent and of the topology on the cluster's topics.
      try (var admin = kafka.admin()) {
        var access = new AccessAdmin(admin, AccessPlan.DEFAULT_TOPOLOGY_USER);
        clusters.forEach(cluster -> access.addCluster(cluster, (short) 1));
      }
      return;
    }
    for (String cluster : clusters) {
      TopicProvisioner.addCluster(kafka.bootstrapServers(), cluster, (short) 1);
    }
  }

  /**
   * Deletes a fleet's topics when its section is done. Every topology instance subscribes to
   * all clusters' events topics by pattern, so a later section would otherwise first read the
   * whole history of the earlier ones and measure that backlog instead of its own events.
   */
  void removeFleet(Fleet fleet) {
    removeClusters(fleet.clusterNames());
  }

  void removeClusters(List<String> clusters) {
    List<String> topics = new ArrayList<>();
    for (String cluster : clusters) {
      topics.add("meshfed.cluster." + cluster + ".events");
      topics.add("meshfed.cluster." + cluster + ".config");
    }
    try (var admin = kafka.admin()) {
      admin.deleteTopics(topics).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("could not delete the topics of " + clusters, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The topology's configuration for a run: meshfed's defaults (exactly-once unless told
   * otherwise, 20 ms commits), the fleet's first cluster as policy source, no failback damping
   * so every flip back is a decision, and a state directory of its own (and, in the quick run,
   * fewer repartition partitions: see {@link #partitions}).
   */
  TopologyConfig topologyConfig(String applicationId, Fleet fleet, boolean exactlyOnce,
      Path stateDir) {
    return topologyConfig(applicationId, Set.of(fleet.cluster(0)), exactlyOnce, stateDir);
  }

  /** As above, with policies read from each of {@code policySources}. */
  TopologyConfig topologyConfig(String applicationId, Set<String> policySources,
      boolean exactlyOnce, Path stateDir) {
    TopologyConfig config = TopologyConfig.defaults(kafka.bootstrapServers(), registryConfig,
            policySources)
        .withApplicationId(applicationId)
        .withStateDir(stateDir)
        .withExactlyOnce(exactlyOnce)
        .withTimers(Duration.ofSeconds(60), Duration.ZERO, Duration.ofMillis(200));
    if (partitions > 0) {
      config = config.withPartitions(partitions);
    }
    if (!isSecured()) {
      return config;
    }
    // As 'meshfed admin grant-topology' does, for this run's application id.
    try (var admin = kafka.admin()) {
      var topology = new AccessAdmin(admin, AccessPlan.DEFAULT_TOPOLOGY_USER)
          .grantTopology(applicationId);
      Map<String, String> client = new java.util.HashMap<>();
      EmbeddedKafka.Security.clientSettings(topology.user(), topology.password())
          .forEach((k, v) -> client.put(k, String.valueOf(v)));
      return config.withKafkaClient(client);
    }
  }

  KafkaStreams startTopology(TopologyConfig config) {
    // -Dmeshfed.bench.streams.X=V lays a Streams/client property over the topology's own, for
    // trying a setting in a profiling run without a rebuild; the committed runs set none.
    Properties overrides = new Properties();
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith("meshfed.bench.streams."))
        .forEach(k -> overrides.put(k.substring("meshfed.bench.streams.".length()),
            System.getProperty(k)));
    return TopologyMain.start(config, overrides);
  }

  static void awaitRunning(KafkaStreams streams, Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException("topology not RUNNING within " + timeout + ": "
            + streams.state());
      }
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
    }
  }

  @Override
  public void close() {
    kafka.close();
    if (ownsRegistry) {
      registry.close();
    }
    if (!ownsWork) {
      return;
    }
    // Gigabytes of logs and state stores per run: the results are what is kept.
    io.meshfed.testing.Directories.deleteRecursively(work);
  }
}
