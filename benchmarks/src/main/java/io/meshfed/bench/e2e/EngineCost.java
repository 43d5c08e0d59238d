package io.meshfed.bench.e2e;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.StreamsSettings;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The topology's own CPU cost per event, without a broker: the real topology (real RocksDB
 * stores, real serdes through every repartition topic) under {@link TopologyTestDriver}, one
 * thread. A fleet is loaded, then endpoint-health flips are piped as fast as the driver takes
 * them. What this measures is the ceiling the engine puts on throughput before any Kafka I/O —
 * the number a profile of the engine is read against.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.meshfed.bench.e2e.EngineCost
 * [clusters] [servicesPerCluster] [endpointsPerService] [destinations] [flips]}.
 */
public final class EngineCost {

  public static void main(String[] args) throws Exception {
    int clusters = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int servicesPerCluster = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int endpointsPerService = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int destinations = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    int flips = args.length > 4 ? Integer.parseInt(args[4]) : 50_000;
    try (EmbeddedSchemaRegistry registryProcess = EmbeddedSchemaRegistry.start()) {
      Result r = run(registryProcess.confluentApiUrl(), clusters, servicesPerCluster, endpointsPerService,
          destinations, flips);
      System.out.println(r);
    }
  }

  /** What one run measured. */
  public record Result(int clusters, int services, int destinations, double loadSeconds,
      int flips, double flipSeconds, long outputs) {
    public double flipsPerSecond() {
      return flips / flipSeconds;
    }

    @Override
    public String toString() {
      return String.format("engine cost: %d clusters, %d services, %d destinations loaded in"
          + " %.1f s; %d flips in %.2f s = %.0f flips/s (%.1f µs/flip), %d records out",
          clusters, services, destinations, loadSeconds, flips, flipSeconds, flipsPerSecond(),
          flipSeconds * 1e6 / flips, outputs);
    }
  }

  public static Result run(String registryUrl, int clusters, int servicesPerCluster,
      int endpointsPerService, int destinations, int flips) throws Exception {
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryConfig.of(registryUrl).withAutoRegister(true));
    Fleet fleet = new Fleet("eng", clusters, servicesPerCluster, endpointsPerService);
    TopologyConfig config = TopologyConfig.defaults("unused:9092", registry.config(),
            Set.of(fleet.cluster(0)))
        .withTimers(Duration.ofHours(1), Duration.ofSeconds(5), Duration.ofSeconds(1))
        .withStateDir(Files.createTempDirectory("meshfed-engine-cost"));
    MeshfedTopics topics = new MeshfedTopics(registry);
    Instant start = Instant.now();
    try (TopologyTestDriver driver = new TopologyTestDriver(
        MeshfedTopology.build(config, registry), StreamsSettings.from(config), start)) {
      Map<String, TestInputTopic<String, SpecificRecord>> inputs = new HashMap<>();
      AvroSerde<SpecificRecord> serde = AvroSerde.anyRecord(registry);
      java.util.function.Consumer<ProducerRecord<String, SpecificRecord>> pipe = r ->
          inputs.computeIfAbsent(r.topic(), t -> driver.createInputTopic(t,
              new StringSerializer(), serde.serializer())).pipeInput(r.key(), r.value());
      long t0 = System.nanoTime();
      for (int c = 0; c < clusters; c++) {
        pipe.accept(fleet.heartbeat(c, start));
      }
      for (int c = 0; c < clusters; c++) {
        for (int s = 0; s < servicesPerCluster; s++) {
          pipe.accept(fleet.service(c, s));
          pipe.accept(fleet.endpoints(c, s, endpointsPerService));
        }
      }
      for (int d = 0; d < destinations; d++) {
        pipe.accept(fleet.failoverService(d, d % clusters, d / clusters % servicesPerCluster));
      }
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      long outputs = drain(driver, topics, fleet);
      // Flips: the primary endpoint set of destination d's tier 0 goes from all ready to all
      // but one ready and back, round-robin over destinations.
      long t1 = System.nanoTime();
      for (int i = 0; i < flips; i++) {
        int d = i % destinations;
        int ready = (i / destinations) % 2 == 0 ? endpointsPerService - 1 : endpointsPerService;
        pipe.accept(fleet.endpoints(d % clusters, d / clusters % servicesPerCluster, ready));
      }
      double flipSeconds = (System.nanoTime() - t1) / 1e9;
      outputs = drain(driver, topics, fleet);
      return new Result(clusters, clusters * servicesPerCluster, destinations, loadSeconds,
          flips, flipSeconds, outputs);
    }
  }

  private static long drain(TopologyTestDriver driver, MeshfedTopics topics, Fleet fleet) {
    long n = 0;
    for (String cluster : fleet.clusterNames()) {
      n += driver.createOutputTopic(topics.clusterConfig().forCluster(cluster).name(),
          new StringDeserializer(), new ByteArrayDeserializer()).readRecordsToList().size();
    }
    n += driver.createOutputTopic(MeshfedTopics.FAILOVER_EVENTS, new StringDeserializer(),
        new ByteArrayDeserializer()).readRecordsToList().size();
    return n;
  }
}
