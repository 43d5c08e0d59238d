package io.meshfed.bench.e2e;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.StreamsSettings;
import io.meshfed.topology.config.TopologyConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The topology's own CPU per flip, without a broker: the throughput section's fleet (two
 * clusters, one FailoverService per service, two endpoints each) under
 * {@link TopologyTestDriver}, on one thread, flipping a service's endpoints between all ready
 * and none as the throughput probe does — each flip a failover or a failback of one destination
 * for its two client clusters. The driver runs every stage, store (RocksDB, changelogged into
 * the driver's captured topics) and serde for real; what it leaves out is the broker, the
 * network and the exactly-once commit, which the end-to-end bench and its floors measure. It
 * evaluates each record as it is piped in (no coalescing: the throughput fleet's flips are to
 * distinct destinations anyway).
 *
 * <p>Measured: the piping thread's CPU time per flip over {@code --flips} after
 * {@code --warmup} flips (JIT), with the driver's captured output drained outside the timed
 * batches; most of it is the driver's own work, so the engine's part is that CPU times the
 * share of the thread's samples (a JFR over the flips) in the topology's own stages; and the
 * records the topology wrote per flip, by topic. Identical runs differ by up to ±8 % on a
 * 2-core machine: it says what the engine costs, not a change of a few percent.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.meshfed.bench.e2e.EngineCpu
 *     [--services 10000] [--warmup 40000] [--flips 100000] [--out bench/results]</pre>
 */
public final class EngineCpu {

  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
  private static final int BATCH = 1_000;

  private final TopologyTestDriver driver;
  private final Fleet fleet;
  private final Map<String, TestInputTopic<String, SpecificRecord>> inputs = new HashMap<>();
  private final MeshfedTopics topics;
  private final String applicationId;
  /** Records the topology wrote per topic (application id left out), since the last reset. */
  private final Map<String, Long> byTopic = new java.util.TreeMap<>();

  private EngineCpu(String registryUrl, Fleet fleet, Path stateDir) {
    this.fleet = fleet;
    SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.of(registryUrl)
        .withAutoRegister(true));
    TopologyConfig config = TopologyConfig.defaults("unused:9092", registry.config(),
            Set.of(fleet.cluster(0)))
        .withStateDir(stateDir)
        .withPartitions(1)
        // The throughput section's timers (BenchEnvironment): no damping, so a failback is
        // decided when its endpoints are back, as a failover is.
        .withTimers(Duration.ofSeconds(60), Duration.ZERO, Duration.ofMillis(200));
    topics = new MeshfedTopics(registry);
    applicationId = config.applicationId();
    driver = new TopologyTestDriver(MeshfedTopology.build(config, registry),
        StreamsSettings.from(config), START);
  }

  private void send(ProducerRecord<String, SpecificRecord> record) {
    inputs.computeIfAbsent(record.topic(), t -> driver.createInputTopic(t,
        new StringSerializer(), topics.clusterEvents().valueSerde().serializer()))
        .pipeInput(record.key(), record.value(), START);
  }

  /** Reads and drops what the driver captured (configs, decisions, changelogs). */
  private void drain() {
    for (String topic : driver.producedTopicNames()) {
      var output = driver.createOutputTopic(topic, new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      long n = output.getQueueSize();
      if (n > 0) {
        byTopic.merge(topic.replace(applicationId + "-", ""), n, Long::sum);
      }
      output.readRecordsToList();
    }
  }

  private void load() {
    for (int c = 0; c < fleet.clusters; c++) {
      send(fleet.heartbeat(c, START));
    }
    for (int c = 0; c < fleet.clusters; c++) {
      for (int s = 0; s < fleet.servicesPerCluster; s++) {
        send(fleet.service(c, s));
        send(fleet.endpoints(c, s, fleet.endpointsPerService));
      }
    }
    for (int s = 0; s < fleet.servicesPerCluster; s++) {
      send(fleet.failoverService(s, 0, s));
      if (s % BATCH == 0) {
        drain();
      }
    }
    drain();
    reset();
  }

  private void reset() {
    byTopic.clear();
  }

  /** Flips {@code count} times from flip number {@code from}; returns CPU nanoseconds spent. */
  private long flips(long from, long count) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int services = fleet.servicesPerCluster;
    long cpu = 0;
    for (long n = from; n < from + count; n += BATCH) {
      long start = threads.getCurrentThreadCpuTime();
      for (long i = n; i < Math.min(n + BATCH, from + count); i++) {
        int service = (int) (i % services);
        // Even rounds take a service down, odd ones bring it back.
        boolean down = (i / services) % 2 == 0;
        send(fleet.endpoints(0, service, down ? 0 : fleet.endpointsPerService));
      }
      cpu += threads.getCurrentThreadCpuTime() - start;
      drain();
    }
    return cpu;
  }

  public static void main(String[] args) throws Exception {
    int services = intArg(args, "--services", 10_000);
    int warmup = intArg(args, "--warmup", 40_000);
    int flips = intArg(args, "--flips", 100_000);
    Path out = Path.of(stringArg(args, "--out", "bench/results"));
    Map<String, Object> result;
    try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start()) {
      result = run(registry.confluentApiUrl(), services, warmup, flips);
    }
    Files.createDirectories(out);
    Path file = out.resolve("engine-cpu.json");
    new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
        .writeValue(file.toFile(), result);
    System.out.println("engine CPU per flip (TopologyTestDriver, one thread): " + result
        + " -> " + file);
  }

  /** Loads the fleet, flips {@code warmup} times unmeasured, then measures {@code flips}. */
  static Map<String, Object> run(String registryUrl, int services, int warmup, int flips)
      throws java.io.IOException {
    Path work = Files.createTempDirectory("meshfed-engine-cpu");
    Fleet fleet = new Fleet("tput", 2, services, 2);
    Map<String, Object> result = new LinkedHashMap<>();
    EngineCpu engine = new EngineCpu(registryUrl, fleet, work.resolve("state"));
    try {
      long loadStart = System.nanoTime();
      engine.load();
      result.put("fleet", Map.of("clusters", fleet.clusters, "services", services,
          "endpointsPerService", fleet.endpointsPerService, "destinations", services));
      result.put("loadSeconds", Math.round((System.nanoTime() - loadStart) / 1e8) / 10.0);
      engine.flips(0, warmup);
      engine.reset();
      long cpu;
      Path jfr = work.resolve("flips.jfr");
      try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(5));
        recording.start();
        cpu = engine.flips(warmup, flips);
        recording.stop();
        recording.dump(jfr);
      }
      double cpuPerFlip = cpu / 1e3 / flips;
      Map<String, Object> samples = engineShare(jfr);
      double share = (double) samples.get("engineShare");
      result.put("flips", flips);
      result.put("cpuMicrosPerFlip", Math.round(cpuPerFlip * 10) / 10.0);
      // The topology's own stages' share of the flips' samples, times their CPU: what the
      // engine costs without the driver around it (an estimate: +-1 % of the samples).
      result.put("engineMicrosPerFlip", Math.round(cpuPerFlip * share * 10) / 10.0);
      result.put("samples", samples);
      long outputs = engine.byTopic.values().stream().mapToLong(Long::longValue).sum();
      result.put("recordsOutPerFlip", Math.round(10.0 * outputs / flips) / 10.0);
      Map<String, Double> perTopic = new LinkedHashMap<>();
      engine.byTopic.forEach((topic, n) -> perTopic.put(topic, Math.round(100.0 * n / flips)
          / 100.0));
      result.put("recordsOutPerFlipByTopic", perTopic);
      result.put("measuredAt", Instant.now().toString());
    } finally {
      engine.driver.close();
      io.meshfed.testing.Directories.deleteRecursively(work);
    }
    return result;
  }

  /**
   * The piping thread's samples during the measured flips, by {@link CpuProfile#STAGES}: the
   * share in the topology's own stages (ingest, select, decide input, evaluation), of the
   * samples outside {@link #drain} (which the CPU figure leaves out too).
   */
  private static Map<String, Object> engineShare(Path jfr) throws java.io.IOException {
    Map<String, Integer> byStage = new java.util.TreeMap<>();
    int timed = 0;
    int engine = 0;
    String self = Thread.currentThread().getName();
    for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(jfr)) {
      // Only execution samples: a recording the JVM was started with (-XX:StartFlightRecording)
      // adds other events with stacks and no sampled thread.
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")
          || e.getStackTrace() == null || e.getThread("sampledThread") == null
          || !self.equals(e.getThread("sampledThread").getJavaName())) {
        continue;
      }
      java.util.List<String> frames = e.getStackTrace().getFrames().stream().map(f ->
          f.getMethod().getType().getName() + "." + f.getMethod().getName()).toList();
      if (frames.stream().anyMatch(f -> f.equals(EngineCpu.class.getName() + ".drain"))) {
        continue;
      }
      timed++;
      String stage = CpuProfile.firstMatch(CpuProfile.STAGES, frames, "driver");
      byStage.merge(stage, 1, Integer::sum);
      engine += stage.equals("driver") ? 0 : 1;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("timed", timed);
    out.put("byStage", byStage);
    out.put("engineShare", timed == 0 ? 0.0 : Math.round(1000.0 * engine / timed) / 1000.0);
    return out;
  }

  private static int intArg(String[] args, String name, int fallback) {
    String v = stringArg(args, name, null);
    return v == null ? fallback : Integer.parseInt(v);
  }

  private static String stringArg(String[] args, String name, String fallback) {
    int i = java.util.Arrays.asList(args).indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  }
}
