package io.meshfed.bench.e2e;

import io.meshfed.topics.EventPartitioner;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.bench.AgentApplyBenchmark;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The end-to-end benchmark: decision latency at fixed rates under both processing guarantees,
 * the raw-Kafka floor with the same hops in the same run, sustained throughput, fleet scale,
 * a zone outage and recovery across 100 clusters ({@link ZoneOutage}), two regions through
 * MirrorMaker 2 beside one ({@link Mirrored}), the CPU of a settled
 * 1 M-endpoint fleet and of its full resync ({@link FleetSteadyState}), recovery, and agent
 * apply. Everything on one machine: the in-process KRaft broker, Apicurio
 * as a child process, the topology in this JVM.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.meshfed.bench.e2e.E2eBench [--quick] [--out DIR]</pre>
 *
 * Writes {@code e2e.json}, {@code SUMMARY.md} and {@code latency-cdf.png} to DIR (default
 * {@code bench/results}, or {@code bench/results/quick} with {@code --quick}).
 */
public final class E2eBench {

  /** How big each part is: the full run, or a smoke test of the harness. */
  record Sizes(boolean quick, Duration warmup, List<Integer> rates, Duration rateDuration,
      int latencyServices,
      List<Integer> throughputRates, Duration throughputDuration, int throughputServices,
      int scaleClusters, int scaleServices, int scaleEndpoints, int scaleDestinations,
      Duration killRun, int agentDestinations, int agentSamples) {

    static Sizes fullRun() {
      return new Sizes(false, Duration.ofSeconds(20), List.of(100, 1_000, 5_000),
          Duration.ofSeconds(20), 2_000,
          List.of(500, 1_000, 2_000, 5_000, 10_000, 20_000), Duration.ofSeconds(60), 10_000,
          100, 1_000, 10, 10_000, Duration.ofSeconds(40), 5_000, 1_000);
    }

    /**
     * The same sizes with the scale section's fleet replaced ({@code --scale CxSxE}: clusters,
     * services per cluster, endpoints per service), for issue #13's 5 M-endpoint check
     * ({@code --only scale --scale 1000x1000x5}); the committed full run keeps its own.
     */
    Sizes withScale(String spec) {
      String[] p = spec.split("x");
      if (p.length != 3) {
        throw new IllegalArgumentException("--scale wants CLUSTERSxSERVICESxENDPOINTS, got "
            + spec);
      }
      return new Sizes(quick, warmup, rates, rateDuration, latencyServices, throughputRates,
          throughputDuration, throughputServices, Integer.parseInt(p[0]), Integer.parseInt(p[1]),
          Integer.parseInt(p[2]), scaleDestinations, killRun, agentDestinations, agentSamples);
    }

    /**
     * The same sizes with other throughput steps ({@code --throughput-rates 300,500}): an A/B of
     * two builds at a rate both hold, compared by CPU per flip.
     */
    Sizes withThroughputRates(List<Integer> steps) {
      return new Sizes(quick, warmup, rates, rateDuration, latencyServices, steps,
          throughputDuration, throughputServices, scaleClusters, scaleServices, scaleEndpoints,
          scaleDestinations, killRun, agentDestinations, agentSamples);
    }

    static Sizes quickRun() {
      // One rate: the loop over rates is the same code for one as for three.
      return new Sizes(true, Duration.ofSeconds(1), List.of(100), Duration.ofSeconds(1),
          100,
          List.of(500), Duration.ofSeconds(2), 200,
          4, 50, 10, 100, Duration.ofSeconds(5), 50, 100);
    }
  }

  /** Targets of issue #8, for the summary's verdicts. */
  static final double TARGET_ALOS_P50_MS = 25;
  static final double TARGET_ALOS_P99_MS = 100;
  static final double TARGET_EOS_P99_MS = 250;
  static final int TARGET_THROUGHPUT = 20_000;
  /**
   * The records a flip of the throughput fleet's destinations must produce by meshfed's API:
   * each is visible to two client clusters, and a flip changes both clients' configs — one
   * config on each client's config topic and one decision each on the failover-events topic
   * (the steps' {@code recordsWritten} count them: config and failover-events ≈ 2 per flip each).
   */
  static final int PRODUCT_RECORDS_PER_FLIP = 4;
  /** How long the throughput section's CPU profile records, after its steps. */
  static final Duration PROFILE_WINDOW = Duration.ofSeconds(20);
  static final double TARGET_HEAP_MB = 1024;
  static final double TARGET_RESTORE_S = 60;
  static final double TARGET_RESUME_S = 15;
  static final double TARGET_AGENT_P99_MS = 250;

  /**
   * Partitions of the quick run's repartition topics (meshfed's default is 6): a third of the
   * tasks to start, restore and rebalance in each of its dozen topology starts. Two, so that the
   * failover section's two instances each hold work when one is killed.
   */
  static final int QUICK_PARTITIONS = 2;

  /** Flips per second of the unrecorded JIT warm-up before the recorded latency runs. */
  static final int WARMUP_RATE = 500;

  /**
   * Flips per second of the throughput section's warm-up: below its first step, so a round
   * drains (over 10,000 destinations the engine is saturated near 500/s).
   */
  static final int THROUGHPUT_WARMUP_RATE = 200;

  /** The longest warm-up of a full run's latency section (rounds of {@code sizes.warmup()}). */
  static final Duration MAX_WARMUP = Duration.ofSeconds(240);

  private final Sizes sizes;
  private final Path out;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final CdfChart chart = new CdfChart();
  /** Each guarantee's warm-up, as {@link JitWarmup} reports it. */
  private final Map<String, Object> warmups = new LinkedHashMap<>();
  private BenchEnvironment env;

  /** Null: every section. Otherwise only these (for profiling one part; not a full run). */
  private final Set<String> only;

  /** The registry to run on, kept running after the run; null: one of the run's own. */
  private final EmbeddedSchemaRegistry registry;

  E2eBench(Sizes sizes, Path out) {
    this(sizes, out, null, null);
  }

  /**
   * On {@code registry} (the smoke test's: the test JVM's shared one) instead of a registry the
   * run starts and stops; every schema registered is meshfed's own, the same in every test.
   */
  E2eBench(Sizes sizes, Path out, Set<String> only, EmbeddedSchemaRegistry registry) {
    this.sizes = sizes;
    this.out = out;
    this.only = only;
    this.registry = registry;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    int at = List.of(args).indexOf("--out");
    Path out = at >= 0 ? Path.of(args[at + 1])
        : quick ? Path.of("bench", "results", "quick") : Path.of("bench", "results");
    int only = List.of(args).indexOf("--only");
    Set<String> sections = only >= 0 ? Set.of(args[only + 1].split(",")) : null;
    Sizes sizes = quick ? Sizes.quickRun() : Sizes.fullRun();
    int scale = List.of(args).indexOf("--scale");
    if (scale >= 0) {
      sizes = sizes.withScale(args[scale + 1]);
    }
    int rates = List.of(args).indexOf("--throughput-rates");
    if (rates >= 0) {
      sizes = sizes.withThroughputRates(java.util.Arrays.stream(args[rates + 1].split(","))
          .map(Integer::valueOf).toList());
    }
    Map<String, Object> results = new E2eBench(sizes, out, sections, null).run();
    System.out.println("results in " + out.toAbsolutePath() + " (" + results.get("wallSeconds")
        + " s)");
    System.exit(0); // the registry child and Kafka's non-daemon threads must not keep us alive
  }

  Map<String, Object> run() throws Exception {
    long started = System.nanoTime();
    Files.createDirectories(out);
    results.put("mode", sizes.quick() ? "quick" : "full");
    results.put("machine", machine());
    results.put("started", Instant.now().toString());
    // -Dmeshfed.bench.partitions=N runs the topology with meshfed.partitions N, for trying the
    // partition count in a section run; the committed runs use the default.
    int partitions = sizes.quick() ? QUICK_PARTITIONS
        : Integer.getInteger("meshfed.bench.partitions", 0);
    results.put("repartitionPartitions", partitions > 0 ? partitions : "default");
    env = new BenchEnvironment(partitions, registry, sizes.quick());
    try {
      section("latency", () -> {
        Map<String, Object> latency = new LinkedHashMap<>();
        // -Dmeshfed.bench.latency.guarantees=alos|eos: one guarantee only, for profiling.
        String guarantees = System.getProperty("meshfed.bench.latency.guarantees", "alos,eos");
        if (guarantees.contains("alos")) {
          latency.put("at_least_once", latency(false));
        }
        if (guarantees.contains("eos")) {
          latency.put("exactly_once_v2", latency(true));
        }
        Map<String, Object> warmup = new LinkedHashMap<>(warmups);
        warmup.put("flipsPerSecond", WARMUP_RATE);
        warmup.put("roundSeconds", sizes.warmup().toSeconds());
        warmup.put("settledBelowCompilerShare", JitWarmup.SETTLED_SHARE);
        warmup.put("note", "before the recorded runs, on each guarantee's topology, in rounds"
            + " until the JIT settles; not recorded");
        latency.put("warmup", warmup);
        return latency;
      });
      section("floor", () -> {
        Map<String, Object> floor = new LinkedHashMap<>();
        floor.put("at_least_once", floor(false));
        floor.put("exactly_once_v2", floor(true));
        return floor;
      });
      section("security", this::security);
      section("throughput", this::throughput);
      section("scale", this::scale);
      section("zone-outage", () -> ZoneOutage.measure(env, sizes.quick()));
      section("fleet-steady-state", () -> FleetSteadyState.measure(env, sizes.quick()));
      section("failover", this::killAndResume);
      section("mirrored", () -> Mirrored.measure(env, sizes.quick()));
      section("agent", () -> AgentApplyBenchmark.measure(sizes.agentDestinations(),
          sizes.agentSamples()));
    } finally {
      env.close();
    }
    results.put("wallSeconds", Math.round((System.nanoTime() - started) / 1e9));
    Files.writeString(out.resolve("e2e.json"), new ObjectMapper()
        .writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
    if (only == null) {
      chart.write(out.resolve("latency-cdf.png"), "meshfed decision latency vs raw-Kafka floor ("
          + results.get("machine") + ")");
      Files.writeString(out.resolve("SUMMARY.md"), Summary.markdown(results));
    }
    return results;
  }

  interface Section {
    Object measure() throws Exception;
  }

  private void section(String name, Section section) throws Exception {
    if (only != null && !only.contains(name)) {
      return;
    }
    long t = System.nanoTime();
    System.out.println("== " + name);
    results.put(name, section.measure());
    System.out.printf(Locale.ROOT, "== %s done in %.0f s%n", name, (System.nanoTime() - t) / 1e9);
  }

  private static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    try {
      m.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?"));
      m.put("memTotal", Files.readAllLines(Path.of("/proc/meminfo")).get(0)
          .replaceAll("\\s+", " "));
    } catch (IOException e) {
      m.put("cpu", "?");
    }
    m.put("kafka", "4.3.1, one in-process KRaft broker (combined controller+broker)");
    m.put("registry", "Apicurio Registry 3.3.3 (child process)");
    return m;
  }

  // ---- latency ------------------------------------------------------------------------------

  private Map<String, Object> latency(boolean exactlyOnce) throws Exception {
    String guarantee = exactlyOnce ? "eos" : "alos";
    Fleet fleet = new Fleet("lat-" + guarantee, 2, sizes.latencyServices(), 2);
    Map<String, Object> runs = new LinkedHashMap<>();
    try (Topology topology = new Topology(fleet, exactlyOnce);
        LatencyProbe probe = topology.probe(sizes.latencyServices())) {
      // Not recorded: until the JIT settles (JitWarmup says why a fixed time was not enough).
      Map<String, Object> warm = JitWarmup.run(probe, WARMUP_RATE, sizes.warmup(),
          sizes.quick() ? sizes.warmup() : MAX_WARMUP);
      warmups.put(exactlyOnce ? "exactly_once_v2" : "at_least_once", warm);
      System.out.printf(Locale.ROOT, "  %s warm-up %d/s (not recorded): %s%n", guarantee,
          WARMUP_RATE, warm);
      for (int rate : latencyRates()) {
        // Each step starts on an empty pipeline: what it measures is its own rate.
        probe.awaitDrained(JitWarmup.DRAIN);
        Map<String, Double> workBefore = decideWork(topology.streams);
        LatencyProbe.Result r = probe.run(rate, sizes.rateDuration());
        Map<String, Object> figures = latencyFigures(r);
        // Work per flip (counts, so they mean the same on a loaded machine): the decide stage's
        // marks by cause and evaluations in this step, and where the thread's time went.
        Map<String, Double> work = new java.util.TreeMap<>();
        decideWork(topology.streams).forEach((k, v) ->
            work.put(k, v - workBefore.getOrDefault(k, 0.0)));
        figures.put("decideWork", work);
        figures.put("threadTime", threadTime(topology.streams));
        runs.put(String.valueOf(rate), figures);
        chart.add("meshfed " + guarantee + " " + rate + "/s (decision)", r.decision());
        System.out.printf(Locale.ROOT, "  %s %d/s: decision %s%n    decide work %s, thread %s%n",
            guarantee, rate, percentiles(r.decision()), work, threadTime(topology.streams));
      }
    }
    return runs;
  }

  /** The latency section's rates; -Dmeshfed.bench.latency.rates=1000,... for profiling. */
  private List<Integer> latencyRates() {
    String rates = System.getProperty("meshfed.bench.latency.rates");
    return rates == null ? sizes.rates()
        : java.util.Arrays.stream(rates.split(",")).map(Integer::valueOf).toList();
  }

  static Map<String, Object> latencyFigures(LatencyProbe.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("targetRate", r.targetRate());
    m.put("achievedRate", Math.round(r.achievedRate()));
    m.put("events", r.sent());
    m.put("decisionMs", percentiles(r.decision()));
    m.put("configMs", percentiles(r.config()));
    m.put("unmatchedDecisions", r.unmatchedDecisions());
    m.put("unmatchedConfigs", r.unmatchedConfigs());
    return m;
  }

  static Map<String, Object> percentiles(Histogram micros) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", micros.getTotalCount());
    for (double p : new double[] {50, 90, 99, 99.9}) {
      m.put("p" + (p == Math.rint(p) ? String.valueOf((int) p) : String.valueOf(p)),
          micros.getTotalCount() == 0 ? null
              : Math.round(micros.getValueAtPercentile(p) / 100.0) / 10.0);
    }
    m.put("max", micros.getTotalCount() == 0 ? null
        : Math.round(micros.getMaxValue() / 100.0) / 10.0);
    return m;
  }

  /** One topology instance on a fleet of its own, with the fleet published and decided. */
  private final class Topology implements AutoCloseable {
    final Fleet fleet;
    final KafkaStreams streams;
    final Path stateDir;
    final TopologyConfig config;
    /** The broker it runs on: the run's open one, or the security section's secured one. */
    final BenchEnvironment on;

    Topology(Fleet fleet, boolean exactlyOnce) throws IOException {
      this(env, fleet, exactlyOnce);
    }

    Topology(BenchEnvironment on, Fleet fleet, boolean exactlyOnce) throws IOException {
      this.on = on;
      this.fleet = fleet;
      on.provision(fleet);
      stateDir = Files.createTempDirectory(on.work(), "streams-" + fleet.prefix);
      config = on.topologyConfig("bench-" + fleet.prefix, fleet, exactlyOnce, stateDir);
      streams = on.startTopology(config);
      BenchEnvironment.awaitRunning(streams, Duration.ofSeconds(120));
    }

    /** A probe on this fleet, after publishing it and waiting for every initial decision. */
    LatencyProbe probe(int services) {
      LatencyProbe probe = new LatencyProbe(on, fleet, services);
      probe.publishFleetAndSettle();
      return probe;
    }

    @Override
    public void close() {
      streams.close(CloseOptions.groupMembershipOperation(
          CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
      on.removeFleet(fleet);
    }
  }

  // ---- security -----------------------------------------------------------------------------

  /** Flips per second of the security section's recorded runs in the full run. */
  static final int SECURITY_RATE = 1_000;

  /**
   * Decision latency with the broker secured as {@code meshfed up} runs it, beside the same
   * measurement on the open broker in the same section: same fleet size, rate, warm-up and
   * guarantee (exactly_once_v2), open first, then secured. Both are measured here, not taken
   * from the latency section, so that the two differ in security only. TLS is not measured:
   * the in-process broker has no keystore (the stack serves SASL_PLAINTEXT on loopback).
   */
  private Map<String, Object> security() throws Exception {
    int rate = sizes.quick() ? sizes.rates().get(sizes.rates().size() - 1) : SECURITY_RATE;
    int services = sizes.quick() ? 20 : 500;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("guarantee", "exactly_once_v2");
    out.put("services", services);
    // Both sides on a fresh broker of their own (the run's shared broker carries every earlier
    // section's topics and load: the first full run compared against it measured that), each
    // warmed up until the compiler settles (JitWarmup): a fixed 10 s warm-up and an unrecorded
    // pass left whichever side the JIT was still compiling for behind at 1,000/s — the open
    // side in the 2026-12-03 full run, both sides in a section run alone.
    if (sizes.quick()) {
      // The quick mode checks the harness, not the figures: the open side on the run's broker
      // (a broker start fewer), no warm-up.
      out.put("open", securityRun(env, "sec-open", rate, services));
    } else {
      try (BenchEnvironment open = env.open()) {
        out.put("open", securityRun(open, "sec-open", rate, services));
      }
    }
    try (BenchEnvironment secured = env.secured()) {
      out.put("sasl_scram", securityRun(secured, "sec-scram", rate, services));
    }
    out.put("note", "SASL_PLAINTEXT with SCRAM-SHA-512 and the StandardAuthorizer"
        + " (allow.everyone.if.no.acl.found=false); the topology as meshfed-topology with only"
        + " its grants, the probe as the admin (a super user); no TLS; " + (sizes.quick()
            ? "quick mode: the open side on the run's broker, no warm-up"
            : "each side on a fresh broker of its own, warmed up at " + WARMUP_RATE
                + " flips/s until the compiler settled"));
    return out;
  }

  private Map<String, Object> securityRun(BenchEnvironment on, String prefix, int rate,
      int services) throws Exception {
    Fleet fleet = new Fleet(prefix, 2, services, 2);
    try (Topology topology = new Topology(on, fleet, true);
        LatencyProbe probe = topology.probe(services)) {
      String name = on.isSecured() ? "SASL SCRAM" : "open";
      Map<String, Object> warm = null;
      if (!sizes.quick()) {
        warm = JitWarmup.run(probe, WARMUP_RATE, sizes.warmup(), MAX_WARMUP);
        System.out.printf(Locale.ROOT, "  %s warm-up %d/s (not recorded): %s%n", name,
            WARMUP_RATE, warm);
      }
      LatencyProbe.Result r = probe.run(rate, sizes.rateDuration());
      chart.add("meshfed eos " + rate + "/s " + name + " (decision)", r.decision());
      System.out.printf(Locale.ROOT, "  %s %d/s: decision %s%n", name, rate,
          percentiles(r.decision()));
      Map<String, Object> figures = latencyFigures(r);
      if (warm != null) {
        figures.put("warmup", warm);
      }
      return figures;
    }
  }

  // ---- floor --------------------------------------------------------------------------------

  private Map<String, Object> floor(boolean exactlyOnce) {
    Map<String, Object> runs = new LinkedHashMap<>();
    try (RawChain chain = new RawChain(env, exactlyOnce)) {
      chain.run(100, Duration.ofSeconds(1)); // warm-up: connections, transactions, fetch sessions
      for (int rate : latencyRates()) {
        Histogram h = chain.run(rate, sizes.rateDuration());
        runs.put(String.valueOf(rate), Map.of("targetRate", rate, "endToEndMs", percentiles(h)));
        chart.add("floor " + (exactlyOnce ? "eos" : "alos") + " " + rate + "/s", h);
        System.out.printf(Locale.ROOT, "  floor %s %d/s: %s%n", exactlyOnce ? "eos" : "alos",
            rate, percentiles(h));
      }
    }
    return runs;
  }

  // ---- throughput ---------------------------------------------------------------------------

  private Map<String, Object> throughput() throws Exception {
    Fleet fleet = new Fleet("tput", 2, sizes.throughputServices(), 2);
    Map<String, Object> result = new LinkedHashMap<>();
    List<Object> steps = new ArrayList<>();
    int held = 0;
    try (Topology topology = new Topology(fleet, true);
        LatencyProbe probe = topology.probe(sizes.throughputServices())) {
      // Not recorded: a JVM that starts with this section (--only throughput) compiles through
      // its first minute, and the steps compared builds by the compiler's progress, not theirs
      // (two runs of one build: 500/s nearly held, then 300/s not, 2.3 ms of JIT and GC CPU per
      // flip). After the latency section one round finds the JIT settled.
      Map<String, Object> warm = JitWarmup.run(probe, THROUGHPUT_WARMUP_RATE, sizes.warmup(),
          sizes.quick() ? sizes.warmup() : MAX_WARMUP);
      result.put("warmup", warm);
      System.out.println("  throughput warm-up " + THROUGHPUT_WARMUP_RATE
          + "/s (not recorded): " + warm);
      for (int rate : sizes.throughputRates()) {
        Map<String, Double> work = decideWork(topology.streams);
        Map<String, Long> offsets = TopicOffsets.endOffsets(env, topology.config.applicationId(),
            true);
        List<Map<String, Double>> threadTime = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.ScheduledExecutorService sampler =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> threadTime.add(threadTime(topology.streams)), 5, 5,
            java.util.concurrent.TimeUnit.SECONDS);
        ThreadCpu cpu = new ThreadCpu(topology.config.applicationId());
        ThreadCpu.Snapshot cpuBefore = ThreadCpu.snapshot();
        LatencyProbe.Result r;
        try {
          r = probe.run(rate, sizes.throughputDuration());
        } finally {
          sampler.shutdownNow();
        }
        Map<String, Object> step = latencyFigures(r);
        // CPU per flip: steady whether or not the step is held, so two builds compare by it
        // (a saturated step's latency is queueing and varies run to run).
        Map<String, Object> cpuUse = cpu.between(cpuBefore, ThreadCpu.snapshot());
        step.put("cpu", cpuUse);
        step.put("cpuMicrosPerFlip", ThreadCpu.perEvent(cpuUse, r.sent()));
        System.out.println("  CPU per flip (µs, by owner): " + step.get("cpuMicrosPerFlip"));
        Map<String, Double> after = decideWork(topology.streams);
        after.replaceAll((k, v) -> v - work.getOrDefault(k, 0.0));
        step.put("decideWork", after);
        step.put("streamThreadTime", threadTime);
        Map<String, Long> written = TopicOffsets.between(offsets,
            TopicOffsets.endOffsets(env, topology.config.applicationId(), true));
        written.values().removeIf(v -> v == 0);
        step.put("recordsWritten", written);
        System.out.println("  records written during the step (incl. transaction markers): "
            + written);
        System.out.println("  decide stage work during the step: " + after);
        System.out.println("  stream thread time every 5 s: " + threadTime);
        Object p99 = percentiles(r.decision()).get("p99");
        boolean ok = held(p99, r.achievedRate(), rate, r.unmatchedDecisions());
        step.put("held", ok);
        steps.add(step);
        System.out.printf(Locale.ROOT, "  throughput %d/s for %ds: achieved %.0f/s, p99 %s ms,"
            + " unmatched %d -> %s%n", rate, sizes.throughputDuration().toSeconds(),
            r.achievedRate(), p99, r.unmatchedDecisions(), ok ? "held" : "not held");
        if (!ok) {
          break;
        }
        held = rate;
      }
      result.put("guarantee", "exactly_once_v2");
      result.put("stepSeconds", sizes.throughputDuration().toSeconds());
      result.put("steps", steps);
      result.put("highestHeldRate", held);
      result.put("profile", profileWindow(probe, held > 0 ? held
          : sizes.throughputRates().get(0)));
    }
    // The quick run checks the harness at its own small rate, not the machine at the target.
    int floorRate = sizes.quick() ? sizes.throughputRates().get(0) : TARGET_THROUGHPUT;
    result.put("floorAtTarget", throughputFloor(floorRate, 1));
    result.put("productFloorAtTarget", throughputFloor(floorRate, PRODUCT_RECORDS_PER_FLIP));
    return result;
  }

  /**
   * The throughput steps' rule, for the engine and the floor alike: p99 within 1 s, at least
   * 95 % of the rate achieved, nothing unmatched or lost.
   */
  private static boolean held(Object p99, double achievedRate, int rate, long lost) {
    return p99 != null && (double) p99 <= 1000 && achievedRate >= 0.95 * rate && lost == 0;
  }

  /**
   * The CPU profile that explains the steps, recorded over a window of its own after them, at
   * {@code rate}: a flight recording (samples every 10 ms, blocking events with stacks) costs
   * the process enough to move a step — at 2,000 flips/s, 831 against 786 µs per flip and p99
   * 306 against 159 ms, one run each — so the steps' figures are taken without it.
   */
  private Map<String, Object> profileWindow(LatencyProbe probe, int rate) throws Exception {
    Duration window = sizes.quick() ? sizes.throughputDuration() : PROFILE_WINDOW;
    probe.awaitDrained(JitWarmup.DRAIN);
    try (CpuProfile profile = new CpuProfile(out.resolve("throughput.jfr"))) {
      LatencyProbe.Result r = probe.run(rate, window);
      Map<String, Object> summary = new LinkedHashMap<>(profile.summary());
      summary.put("flipsPerSecond", rate);
      summary.put("windowSeconds", window.toSeconds());
      summary.put("decisionMsUnderProfiler", percentiles(r.decision()));
      return summary;
    }
  }

  /**
   * What Kafka alone does at the throughput target on this machine, measured in the same run
   * once the topology is closed: the floor's chain ({@link RawChain}, two exactly-once relay
   * hops) at {@code rate} for a step's length, held by the steps' rule. With one output per
   * event it is the transport alone; with {@link #PRODUCT_RECORDS_PER_FLIP} the last hop writes
   * (and the sink reads) the records a flip's product is made of, so it is what an engine that
   * kept no state and computed nothing would cost. The engine writes about ten records per
   * flip, so the pair says whether the target is out of reach of the machine or of the engine.
   */
  private Map<String, Object> throughputFloor(int rate, int outputsPerEvent) {
    Map<String, Object> m = new LinkedHashMap<>();
    try (RawChain chain = new RawChain(env, true, outputsPerEvent)) {
      chain.run(100, Duration.ofSeconds(1)); // connections, transactions, fetch sessions
      ThreadCpu cpu = new ThreadCpu(RawChain.RELAY_THREADS);
      ThreadCpu.Snapshot before = ThreadCpu.snapshot();
      RawChain.Run run = chain.measure(rate, sizes.throughputDuration());
      Map<String, Object> use = cpu.between(before, ThreadCpu.snapshot());
      Map<String, Object> latency = percentiles(run.latency());
      Object p99 = latency.get("p99");
      long lost = run.notArrived();
      m.put("targetRate", rate);
      m.put("outputsPerEvent", outputsPerEvent);
      m.put("achievedRate", Math.round(run.achievedRate()));
      m.put("stepSeconds", sizes.throughputDuration().toSeconds());
      m.put("endToEndMs", latency);
      m.put("notArrived", lost);
      m.put("held", held(p99, run.achievedRate(), rate, lost));
      // The relays' threads are filed under "topology": they do the engine's part.
      m.put("cpuMicrosPerEvent", ThreadCpu.perEvent(use, run.sent()));
      m.put("note", "two exactly-once relay hops, "
          + (outputsPerEvent == 1 ? "one record per hop"
              : "the last writing " + outputsPerEvent + " records per event (a flip's product)")
          + ", same broker and settings; relays' CPU under 'topology'");
      System.out.printf(Locale.ROOT, "  floor (exactly-once, %d out per event) %d/s for %ds:"
          + " achieved %.0f/s, %s, not arrived %d -> %s; CPU per event (µs) %s%n",
          outputsPerEvent, rate,
          sizes.throughputDuration().toSeconds(), run.achievedRate(), latency, lost,
          (boolean) m.get("held") ? "held" : "not held", m.get("cpuMicrosPerEvent"));
    }
    return m;
  }

  /**
   * The decide stage's counters ({@code DecideMetrics}: destinations marked dirty by cause,
   * evaluations, decisions), summed over the instance's tasks.
   */
  static Map<String, Double> decideWork(KafkaStreams streams) {
    Map<String, Double> totals = new java.util.TreeMap<>();
    streams.metrics().forEach((name, metric) -> {
      if (name.group().equals("stream-meshfed-decide-metrics") && name.name().endsWith("-total")
          && metric.metricValue() instanceof Number n) {
        totals.merge(name.name().substring(0, name.name().length() - "-total".length()),
            n.doubleValue(), Double::sum);
      }
    });
    return totals;
  }

  /**
   * Where the stream threads' wall time goes (Streams' thread metrics: the ratios of poll,
   * process, punctuate and commit over the last window, records per poll, commit latency).
   */
  static Map<String, Double> threadTime(KafkaStreams streams) {
    Set<String> wanted = Set.of("poll-ratio", "process-ratio", "punctuate-ratio", "commit-ratio",
        "poll-records-avg", "commit-latency-avg", "commit-rate", "process-rate");
    Map<String, Double> m = new java.util.TreeMap<>();
    streams.metrics().forEach((name, metric) -> {
      if (name.group().equals("stream-thread-metrics") && wanted.contains(name.name())
          && metric.metricValue() instanceof Number n && !Double.isNaN(n.doubleValue())) {
        m.merge(name.name(), Math.round(n.doubleValue() * 1000) / 1000.0, Double::sum);
      }
    });
    return m;
  }

  // ---- scale and cold restore ---------------------------------------------------------------

  private Map<String, Object> scale() throws Exception {
    Fleet fleet = new Fleet("scale", sizes.scaleClusters(), sizes.scaleServices(),
        sizes.scaleEndpoints());
    env.provision(fleet);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("clusters", fleet.clusters);
    out.put("services", (long) fleet.clusters * fleet.servicesPerCluster);
    out.put("endpoints", (long) fleet.clusters * fleet.servicesPerCluster
        * fleet.endpointsPerService);
    out.put("destinations", sizes.scaleDestinations());
    long heapBefore = heapAfterGc();
    Path stateDir = Files.createTempDirectory(env.work(), "streams-scale");
    TopologyConfig config = env.topologyConfig("bench-scale", fleet, true, stateDir);
    KafkaStreams streams = env.startTopology(config);
    BenchEnvironment.awaitRunning(streams, Duration.ofSeconds(120));
    int expectedConfigs = 0;
    long t0 = System.nanoTime();
    try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()),
        new StringSerializer(), env.serde().serializer())) {
      Instant now = Instant.now();
      for (int c = 0; c < fleet.clusters; c++) {
        producer.send(fleet.heartbeat(c, now));
      }
      for (int c = 0; c < fleet.clusters; c++) {
        for (int s = 0; s < fleet.servicesPerCluster; s++) {
          producer.send(fleet.service(c, s));
          producer.send(fleet.endpoints(c, s, fleet.endpointsPerService));
        }
      }
      for (int d = 0; d < sizes.scaleDestinations(); d++) {
        int primary = d % fleet.clusters;
        int service = (d / fleet.clusters) * 10 + d % 10;
        producer.send(fleet.failoverService(d, primary, service % fleet.servicesPerCluster));
        expectedConfigs += fleet.clusters > 1 ? 2 : 1;
      }
      producer.flush();
      double sentSeconds = (System.nanoTime() - t0) / 1e9;
      out.put("inputRecords", 2L * fleet.clusters * fleet.servicesPerCluster
          + sizes.scaleDestinations() + fleet.clusters);
      out.put("sendSeconds", round1(sentSeconds));
      int seen = awaitConfigs(fleet, expectedConfigs, producer, Duration.ofMinutes(15));
      out.put("configsWritten", seen);
      out.put("expectedConfigs", expectedConfigs);
      out.put("configsSeconds", round1((System.nanoTime() - t0) / 1e9));
      // Heap, state and the restore below are of the whole load only once the topology has read
      // every input: services that no destination selects make no config, so the last config
      // can appear long before they are consumed.
      long lagLeft = GroupLag.awaitCaughtUp(env, config.applicationId(),
          "meshfed.cluster." + fleet.prefix + "-", Duration.ofMinutes(15), () -> {
            Instant beat = Instant.now();
            for (int c = 0; c < fleet.clusters; c++) {
              producer.send(fleet.heartbeat(c, beat));
            }
          });
      out.put("unreadRecordsAfterLoad", lagLeft);
      out.put("loadSeconds", round1((System.nanoTime() - t0) / 1e9));
      System.out.printf(Locale.ROOT, "  scale: %d of %d configs in %.1f s%n", seen,
          expectedConfigs, (System.nanoTime() - t0) / 1e9);
    }
    long heapAfter = heapAfterGc();
    out.put("heapUsedAfterGcMb", Map.of("beforeTopology", mb(heapBefore), "afterLoad",
        mb(heapAfter), "topologyShare", mb(heapAfter - heapBefore)));
    out.put("processRssMb", rssMb());
    out.put("stateStoreBytesOnDisk", directorySize(stateDir));
    out.put("note", "heap and RSS are of the one JVM that also runs the broker and the load"
        + " generator; topologyShare is the growth of live heap across the load");

    // Cold restore: a new instance with an empty state directory rebuilds from changelogs. The
    // old one leaves the group, as a planned shutdown does, so the new one is not kept waiting.
    streams.close(CloseOptions.groupMembershipOperation(
        CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(60)));
    Path coldDir = Files.createTempDirectory(env.work(), "streams-scale-cold");
    RestoreWatch watch = new RestoreWatch();
    long r0 = System.nanoTime();
    KafkaStreams restored = io.meshfed.topology.TopologyMain.start(config.withStateDir(coldDir),
        new java.util.Properties(), watch);
    try {
      BenchEnvironment.awaitRunning(restored, Duration.ofMinutes(10));
      // RUNNING comes before the state updater has finished; restored means every store is.
      long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (!watch.done() && System.nanoTime() < until) {
        LockSupport.parkNanos(20_000_000L);
      }
      out.put("coldRestoreSeconds", round1((watch.lastEnd() - r0) / 1e9));
      out.put("coldRestoreToRunningSeconds", round1((System.nanoTime() - r0) / 1e9));
      out.put("restoredRecords", watch.records());
      out.put("restoredStateBytesOnDisk", directorySize(coldDir));
    } finally {
      restored.close(Duration.ofSeconds(60));
      env.removeFleet(fleet);
    }
    return out;
  }

  /** Restoration progress: partitions started and ended, records restored, time of the last end. */
  static final class RestoreWatch implements org.apache.kafka.streams.processor.StateRestoreListener {
    private final java.util.concurrent.atomic.AtomicInteger active =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger ended =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong records =
        new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastEnd = System.nanoTime();

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
      active.incrementAndGet();
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEnd,
        long restored) {
      records.addAndGet(restored);
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long restored) {
      lastEnd = System.nanoTime();
      ended.incrementAndGet();
      active.decrementAndGet();
    }

    /** Something was restored and nothing is restoring now. */
    boolean done() {
      return ended.get() > 0 && active.get() == 0;
    }

    long lastEnd() {
      return lastEnd;
    }

    long records() {
      return records.get();
    }
  }

  /** Counts distinct destination configs on every config topic of the fleet until all arrive. */
  private int awaitConfigs(Fleet fleet, int expected, KafkaProducer<String, SpecificRecord>
      heartbeats, Duration timeout) {
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000),
        new StringDeserializer(), env.serde().deserializer())) {
      List<TopicPartition> partitions = fleet.clusterNames().stream()
          .map(c -> new TopicPartition("meshfed.cluster." + c + ".config", 0)).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long until = System.nanoTime() + timeout.toNanos();
      long nextHeartbeat = System.nanoTime() + 5_000_000_000L;
      while (seen.size() < expected && System.nanoTime() < until) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() instanceof FederatedDestination) {
            seen.add(r.topic() + "/" + r.key());
          }
        }
        if (System.nanoTime() > nextHeartbeat) {
          Instant now = Instant.now();
          for (int c = 0; c < fleet.clusters; c++) {
            heartbeats.send(fleet.heartbeat(c, now));
          }
          nextHeartbeat += 5_000_000_000L;
        }
      }
    }
    return seen.size();
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rssMb() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024).findFirst().orElse(-1L);
    } catch (IOException e) {
      return -1;
    }
  }

  private static long directorySize(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static long mb(long bytes) {
    return bytes / (1024 * 1024);
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  // ---- kill one instance while another runs -------------------------------------------------

  /**
   * Two instances share the work; flips run at 50/s; a third of the way in, one instance is
   * closed without leaving the group (as a crash would). The longest decision latency of the
   * run is how long decisions for its partitions stopped: session timeout, rebalance, restore.
   */
  private Map<String, Object> killAndResume() throws Exception {
    int services = sizes.quick() ? 50 : 200;
    Fleet fleet = new Fleet("kill", 2, services, 2);
    Map<String, Object> out = new LinkedHashMap<>();
    try (Topology first = new Topology(fleet, true)) {
      KafkaStreams second = env.startTopology(first.config.withStateDir(
          Files.createTempDirectory(env.work(), "streams-kill-2")));
      BenchEnvironment.awaitRunning(second, Duration.ofSeconds(120));
      long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (first.streams.state() != KafkaStreams.State.RUNNING
          || second.state() != KafkaStreams.State.RUNNING) {
        if (System.nanoTime() > until) {
          throw new IllegalStateException("two instances not RUNNING");
        }
        LockSupport.parkNanos(50_000_000L);
      }
      try (LatencyProbe probe = first.probe(services)) {
        Thread killer = new Thread(() -> {
          LockSupport.parkNanos(sizes.killRun().toNanos() / 3);
          // A crash: no leave-group, so the survivor learns of it by the session timeout.
          second.close(CloseOptions.groupMembershipOperation(
              CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(Duration.ZERO));
        }, "killer");
        killer.start();
        LatencyProbe.Result r = probe.run(50, sizes.killRun());
        killer.join();
        out.put("instances", 2);
        out.put("flipsPerSecond", 50);
        out.put("decisionMs", percentiles(r.decision()));
        out.put("resumeSeconds", round1(r.decision().getMaxValue() / 1e6));
        out.put("unmatchedDecisions", r.unmatchedDecisions());
      } finally {
        second.close(Duration.ofSeconds(10));
      }
    }
    return out;
  }
}
