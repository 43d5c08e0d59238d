package io.meshfed.bench.chaos;

import io.meshfed.topics.EventPartitioner;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.Oracle;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * {@code ./meshfed chaos}: fault classes against the real stack (a KRaft broker, Apicurio
 * Registry, the topology in this JVM or as separate JVMs), each judged by an oracle — the pure
 * rules applied to the final inputs give each client's config, and the decision log read with
 * read_committed holds epochs 1..n — and by bookkeeping: every bad record dead-lettered with
 * headers, every flip a decision per client, no stream thread lost. Writes faults.md and
 * faults.json. The quick mode is the same code at small sizes; ChaosQuickTest runs it in the
 * build and asserts the oracle and the counts, never timings.
 */
public final class ChaosSuite {

  static final List<String> CLASSES = List.of("bad-input", "topology-kill", "broker-restart",
      "network", "bad-resources", "api-faults", "agent-restart");

  /**
   * What the build's quick mode runs: the classes cheap enough for its budget (broker-restart
   * and network each cost a broker process's start and minutes of outage).
   */
  static final List<String> QUICK_CLASSES = List.of("bad-input", "topology-kill",
      "bad-resources");

  static final String BROKER_DOWN_PROPERTY = "meshfed.chaos.brokerDownSeconds";

  /**
   * The least time a broker-restart class keeps the broker down ({@code --broker-down S}, 0 by
   * default: restarted at once); over 60 s it outlasts the producers' max.block.ms.
   */
  static long brokerDownSeconds() {
    return Long.getLong(BROKER_DOWN_PROPERTY, 0);
  }

  /** How much of each fault to inject. */
  public record Sizes(boolean quick, int badRecords, int flipsDuringBadInput,
      int topologyInstances, int kills, int flipsBetweenKills, int brokerRestarts,
      List<Integer> partitionSeconds) {

    public static Sizes full() {
      return new Sizes(false, 100_000, 200, 3, 20, 5, 10, List.of(30, 300));
    }

    /**
     * What the build runs: every bad kind (each 140 times or more) and one kill -9 of a
     * topology instance whose tasks the other takes over; small, because a takeover costs the
     * session timeout and a JVM start.
     */
    public static Sizes quickRun() {
      return new Sizes(true, 1_000, 6, 2, 1, 2, 2, List.of(30));
    }
  }

  private final Sizes sizes;
  private final Path out;
  private final List<String> only;
  /** The registry to run on, kept running after the run; null: one of the run's own. */
  private final EmbeddedSchemaRegistry registry;
  final List<FaultResult> results = new ArrayList<>();

  public ChaosSuite(Sizes sizes, Path out, List<String> only) {
    this(sizes, out, only, null);
  }

  /**
   * On {@code registry} (ChaosQuickTest's: the test JVM's shared one, saving a registry start)
   * instead of one the suite starts and stops.
   */
  public ChaosSuite(Sizes sizes, Path out, List<String> only, EmbeddedSchemaRegistry registry) {
    this.sizes = sizes;
    this.out = out;
    this.only = only;
    this.registry = registry;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = null;
    List<String> only = null;
    Integer badRecords = null;
    Integer kills = null;
    Integer instances = null;
    Integer brokerRestarts = null;
    List<Integer> partitions = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--bad-records" -> badRecords = Integer.parseInt(args[++i]);
        case "--kills" -> kills = Integer.parseInt(args[++i]);
        case "--instances" -> instances = Integer.parseInt(args[++i]);
        case "--broker-restarts" -> brokerRestarts = Integer.parseInt(args[++i]);
        case "--partitions" -> partitions = java.util.Arrays.stream(args[++i].split(","))
            .map(Integer::parseInt).toList();
        case "--broker-down" -> System.setProperty(BROKER_DOWN_PROPERTY, args[++i]);
        // Sizes of the bad-resources class, as properties: the Sizes record stays as it is.
        case "--bad-resources" -> System.setProperty(BadResources.COUNT_PROPERTY, args[++i]);
        case "--cli-files" -> System.setProperty(BadResources.CLI_FILES_PROPERTY, args[++i]);
        case "--api-faults" -> System.setProperty(ApiFaults.PER_FAULT_PROPERTY, args[++i]);
        case "--agent-restarts" ->
            System.setProperty(AgentRestart.RESTARTS_PROPERTY, args[++i]);
        case "--agent-away" -> System.setProperty(AgentRestart.AWAY_PROPERTY, args[++i]);
        case "--scale-cycles" ->
            System.setProperty(TopologyKills.SCALE_CYCLES_PROPERTY, args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--only" -> only = List.of(args[++i].split(","));
        default -> {
          System.err.println("meshfed chaos: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (out == null) {
      out = Path.of(System.getProperty("meshfed.home", "."), "bench", "results",
          quick ? "quick" : "");
    }
    Sizes base = quick ? Sizes.quickRun() : Sizes.full();
    // A reduced run (a busy machine, a deadline) says so in faults.md: the sizes are printed.
    Sizes sizes = new Sizes(base.quick(), badRecords != null ? badRecords : base.badRecords(),
        base.flipsDuringBadInput(), instances != null ? instances : base.topologyInstances(),
        kills != null ? kills : base.kills(), base.flipsBetweenKills(),
        brokerRestarts != null ? brokerRestarts : base.brokerRestarts(),
        partitions != null ? partitions : base.partitionSeconds());
    if (only == null) {
      only = quick ? QUICK_CLASSES : CLASSES;
    }
    ChaosSuite suite = new ChaosSuite(sizes, out, only);
    boolean passed;
    try {
      passed = suite.run();
    } catch (Exception | Error e) {
      // A harness failure (a broker process that would not start) ends the run with its
      // cause; without the exit, a thread a class left behind kept the JVM alive.
      e.printStackTrace();
      System.out.println("meshfed chaos: the run stopped: " + e);
      System.exit(1);
      return;
    }
    System.out.println("meshfed chaos: " + (passed ? "every fault class held"
        : "a fault class failed; see " + out.resolve("faults.md")));
    System.exit(passed ? 0 : 1);
  }

  /** Runs the chosen classes in order; true when every one held. */
  public boolean run() throws Exception {
    Files.createDirectories(out);
    Path work = Files.createTempDirectory("meshfed-chaos");
    Instant started = Instant.now();
    try (Env env = new Env(work, registry)) {
      for (String name : CLASSES) {
        if (!only.contains(name)) {
          continue;
        }
        Instant classStarted = Instant.now();
        LoadSampler load = new LoadSampler();
        env.freshClusters();
        long t0 = System.nanoTime();
        FaultResult result;
        try {
          result = switch (name) {
            case "bad-input" -> new BadInput(env, sizes).run();
            case "topology-kill" -> new TopologyKills(env, sizes).run();
            case "broker-restart" -> new BrokerRestarts(env, sizes).run();
            case "network" -> new NetworkFaults(env, sizes).run();
            case "bad-resources" -> new BadResources(env, sizes).run();
            case "api-faults" -> new ApiFaults(env, sizes).run();
            case "agent-restart" -> new AgentRestart(env, sizes).run();
            default -> throw new IllegalArgumentException(name);
          };
        } catch (Exception e) {
          // A class the harness could not finish fails, says why, and the next one runs.
          result = new FaultResult(name);
          result.injected = "stopped";
          result.findings.add("The class stopped: " + e + (e.getCause() == null ? ""
              : " (cause: " + e.getCause() + ")") + ".");
        }
        result.seconds = (System.nanoTime() - t0) / 1e9;
        result.started = classStarted;
        load.stopInto(result);
        results.add(result);
        System.out.println(line(result));
      }
    } finally {
      // -Dmeshfed.chaos.keep=true keeps the brokers' and topologies' logs for a post-mortem.
      if (Boolean.getBoolean("meshfed.chaos.keep")) {
        System.out.println("meshfed chaos: work directory kept at " + work);
      } else {
        io.meshfed.testing.Directories.deleteRecursively(work);
      }
    }
    writeResults(started);
    return results.stream().allMatch(FaultResult::passed);
  }

  /**
   * The machine's 1-minute load average every 5 s while a class runs: the machine is shared,
   * and a class's timings mean something only next to the load they were measured at.
   */
  static final class LoadSampler {
    private final java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private final List<Double> samples = java.util.Collections.synchronizedList(
        new ArrayList<>());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "chaos-load");
          t.setDaemon(true);
          return t;
        });

    LoadSampler() {
      timer.scheduleAtFixedRate(this::sample, 0, 5, TimeUnit.SECONDS);
    }

    private void sample() {
      double load = os.getSystemLoadAverage();
      if (load >= 0) { // negative where the platform has none
        samples.add(load);
      }
    }

    void stopInto(FaultResult r) {
      timer.shutdownNow();
      sample();
      synchronized (samples) {
        if (!samples.isEmpty()) {
          r.loadMin = samples.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
          r.loadMax = samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
          r.loadMean = samples.stream().mapToDouble(Double::doubleValue).average()
              .orElseThrow();
        }
      }
    }
  }

  static String line(FaultResult r) {
    return String.format(Locale.ROOT, "%-14s %s  injected %d, decisions %d/%d, lost %d,"
        + " epochs out of place %d, final = oracle %s, thread deaths %s, dead-lettered %s/%s,"
        + " max recovery %.1f s, load %s", r.name, r.passed() ? "ok  " : "FAIL",
        r.injectedCount, r.decisionsDuring, r.expectedDecisions, r.lostTransitions,
        r.epochsOutOfPlace, r.finalEqualsOracle, r.threadDeaths, r.deadLettered,
        r.deadLetterExpected, r.maxRecoverySeconds, r.loadMin == null ? "?"
            : String.format(Locale.ROOT, "%.1f-%.1f", r.loadMin, r.loadMax));
  }

  /**
   * Merges this run's classes into {@code out}'s faults.json and writes faults.md from the
   * merged results. A run of some classes ({@code --only}) replaces those classes' entries and
   * keeps every other class's, each entry carrying its own run (date, sizes, load), so that
   * separate runs — the way a shared machine and a deadline have them done — add up to one
   * report instead of the last one overwriting the rest. In faults.md the table and the
   * per-class sections are generated; everything below {@link #NOTES_MARKER} is written by
   * hand and kept as it is. A file lock serializes two runs finishing into one directory.
   */
  void writeResults(Instant started) throws IOException {
    Path jsonFile = out.resolve("faults.json");
    Path mdFile = out.resolve("faults.md");
    // The lock file lives in the temp directory, not among the results that are committed.
    Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "meshfed-chaos-"
        + Integer.toHexString(out.toAbsolutePath().normalize().toString().hashCode()) + ".lock");
    try (var lockChannel = java.nio.channels.FileChannel.open(lockFile,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        var lock = lockChannel.lock()) {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      Map<String, Map<String, Object>> merged = readClasses(mapper, jsonFile);
      for (FaultResult r : results) {
        merged.put(r.name, toJson(r, started));
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("updated", Instant.now().toString());
      json.put("processors", Runtime.getRuntime().availableProcessors());
      Map<String, Object> classes = new LinkedHashMap<>();
      // In the suite's order, then any class this version does not know (kept, not lost).
      CLASSES.stream().filter(merged::containsKey).forEach(n -> classes.put(n, merged.get(n)));
      merged.forEach(classes::putIfAbsent);
      json.put("classes", classes);
      mapper.writeValue(jsonFile.toFile(), json);
      String notes = existingNotes(mdFile);
      Files.writeString(mdFile, markdown(classes) + "\n" + NOTES_MARKER + "\n" + notes);
    }
  }

  /** Where faults.md's hand-written part begins; the suite never rewrites what follows it. */
  static final String NOTES_MARKER = "<!-- Everything below this line is written by hand;"
      + " ./meshfed chaos keeps it as it is. -->";

  /**
   * The classes of an earlier faults.json, each with its run; an entry of the older format
   * (one run for the whole file) gets the file's run.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> readClasses(ObjectMapper mapper, Path jsonFile)
      throws IOException {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (!Files.exists(jsonFile)) {
      return out;
    }
    Map<String, Object> old = mapper.readValue(jsonFile.toFile(), Map.class);
    if (!(old.get("classes") instanceof Map<?, ?> classes)) {
      return out;
    }
    for (var e : classes.entrySet()) {
      if (!(e.getValue() instanceof Map<?, ?> c)) {
        continue;
      }
      Map<String, Object> entry = new LinkedHashMap<>((Map<String, Object>) c);
      if (!entry.containsKey("run")) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("started", old.get("started"));
        run.put("mode", old.get("mode"));
        run.put("sizes", String.valueOf(old.get("sizes")));
        run.put("fullSize", false);
        entry.put("run", run);
      }
      out.put(String.valueOf(e.getKey()), entry);
    }
    return out;
  }

  /** faults.md's hand-written part, or the whole of an older file that had none marked. */
  static String existingNotes(Path mdFile) throws IOException {
    if (!Files.exists(mdFile)) {
      return "";
    }
    String old = Files.readString(mdFile);
    int at = old.indexOf(NOTES_MARKER);
    if (at >= 0) {
      return old.substring(at + NOTES_MARKER.length()).replaceFirst("^\n", "");
    }
    return "\n## The report before per-class results were kept\n\n" + old;
  }

  private Map<String, Object> toJson(FaultResult r, Instant suiteStarted) {
    Map<String, Object> c = new LinkedHashMap<>();
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("started", (r.started != null ? r.started : suiteStarted).toString());
    run.put("mode", sizes.quick() ? "quick" : "full");
    run.put("fullSize", fullSize(r.name));
    run.put("sizes", sizeNote(r.name));
    run.put("processors", Runtime.getRuntime().availableProcessors());
    run.put("loadMin", r.loadMin);
    run.put("loadMax", r.loadMax);
    run.put("loadMean", r.loadMean);
    c.put("run", run);
    c.put("passed", r.passed());
    c.put("injected", r.injected);
    c.put("injectedCount", r.injectedCount);
    c.put("perKind", r.perKind);
    c.put("decisionsDuring", r.decisionsDuring);
    c.put("expectedDecisions", r.expectedDecisions);
    c.put("maxRecoverySeconds", r.maxRecoverySeconds);
    c.put("recoveryMeasure", r.recoveryMeasure);
    c.put("recoverySeconds", r.recoverySeconds);
    c.put("lostTransitions", r.lostTransitions);
    c.put("epochsOutOfPlace", r.epochsOutOfPlace);
    c.put("finalEqualsOracle", r.finalEqualsOracle);
    c.put("threadDeaths", r.threadDeaths);
    c.put("deadLettered", r.deadLettered);
    c.put("deadLetterExpected", r.deadLetterExpected);
    c.put("deadLetteredWithHeaders", r.deadLetteredWithHeaders);
    c.put("resourcesInvalid", r.resourcesInvalid);
    c.put("resourcesExpected", r.resourcesExpected);
    c.put("alive", r.alive);
    c.put("classOracle", r.classOracle);
    c.put("seconds", r.seconds);
    c.put("findings", r.findings);
    return c;
  }

  /** Whether this run injected a class's full size (issue #21's), not a reduced one. */
  boolean fullSize(String name) {
    Sizes full = Sizes.full();
    return !sizes.quick() && switch (name) {
      case "bad-input" -> sizes.badRecords() >= full.badRecords()
          && sizes.flipsDuringBadInput() >= full.flipsDuringBadInput();
      case "topology-kill" -> sizes.kills() >= full.kills()
          && sizes.topologyInstances() >= full.topologyInstances();
      case "broker-restart" -> sizes.brokerRestarts() >= full.brokerRestarts();
      case "network" -> sizes.partitionSeconds().containsAll(full.partitionSeconds());
      case "bad-resources" -> {
        BadResources b = new BadResources(null, sizes);
        yield b.count() >= 10_000 && b.cliFiles() >= 60;
      }
      case "api-faults" -> new ApiFaults(null, sizes).perFault() >= 50;
      case "agent-restart" -> {
        AgentRestart a = new AgentRestart(null, sizes);
        yield a.restarts() >= AgentRestart.FULL_RESTARTS
            && a.awaySeconds() >= AgentRestart.FULL_AWAY_SECONDS;
      }
      default -> false;
    };
  }

  /** The sizes that matter to a class, for its row. */
  String sizeNote(String name) {
    return switch (name) {
      case "bad-input" -> String.format(Locale.ROOT, "%,d bad records, %d flips",
          sizes.badRecords(), sizes.flipsDuringBadInput());
      case "topology-kill" -> String.format(Locale.ROOT, "%d kills of %d instances, %d flips"
          + " between kills", sizes.kills(), sizes.topologyInstances(),
          sizes.flipsBetweenKills());
      case "broker-restart" -> String.format(Locale.ROOT, "%d restarts, %d flips between,"
          + " broker down at least %d s", sizes.brokerRestarts(), sizes.flipsBetweenKills(),
          brokerDownSeconds());
      case "network" -> "partitions of " + sizes.partitionSeconds() + " s";
      case "bad-resources" -> {
        BadResources b = new BadResources(null, sizes);
        yield String.format(Locale.ROOT, "%,d resources (one in %d absurd), %d CLI files",
            b.count(), b.absurdEvery(), b.cliFiles());
      }
      case "api-faults" -> "each fault at least " + new ApiFaults(null, sizes).perFault()
          + " times";
      case "agent-restart" -> {
        AgentRestart a = new AgentRestart(null, sizes);
        yield String.format(Locale.ROOT, "%d restarts, Kafka away %d s each", a.restarts(),
            a.awaySeconds());
      }
      default -> sizes.toString();
    };
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> classes) {
    StringBuilder md = new StringBuilder();
    md.append("# Fault suite (`./meshfed chaos`)\n\n")
        .append("Generated by `./meshfed chaos` from faults.json; each class's row comes from"
            + " the latest run of that class (`--only` runs add up), with that run's date,"
            + " sizes and machine load (the 1-minute load average, sampled every 5 s while the"
            + " class ran). Timings measure the machine they ran on; the counts and the oracle"
            + " are what hold.\n\n")
        .append("The oracle: the rules module applied to the final inputs gives each client's"
            + " config (`Oracle.reviewsFailover`, shared with the topology's tests); the decision"
            + " log read with read_committed must hold epochs 1..n per destination. Every flip of"
            + " mgmt-cluster's readiness must be one decision per client cluster (no damping),"
            + " so decisions expected = initial 2 + 2 per flip; lost = expected − seen.\n\n")
        .append("| fault class | run | injected | decisions (seen / expected) | max time to"
            + " recover | lost transitions | epochs out of place | final = oracle | stream-thread"
            + " deaths | dead-lettered (with headers) / bad records | resources INVALID / bad |"
            + " held |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (var e : classes.entrySet()) {
      Map<String, Object> c = (Map<String, Object>) e.getValue();
      Map<String, Object> run = c.get("run") instanceof Map<?, ?> m
          ? (Map<String, Object>) m : Map.of();
      md.append("| ").append(e.getKey()).append(" | ").append(runNote(run)).append(" | ")
          .append(c.get("injected")).append(" | ")
          .append(c.get("decisionsDuring")).append(" / ").append(c.get("expectedDecisions"))
          .append(" | ")
          .append(String.format(Locale.ROOT, "%.1f s", number(c.get("maxRecoverySeconds"))))
          .append(c.get("recoveryMeasure") == null ? "" : " (" + c.get("recoveryMeasure") + ")")
          .append(" | ").append(c.get("lostTransitions")).append(" | ")
          .append(c.get("epochsOutOfPlace")).append(" | ").append(c.get("finalEqualsOracle"))
          .append(" | ").append(dash(c.get("threadDeaths"))).append(" | ")
          .append(c.get("deadLetterExpected") == null ? "—" : c.get("deadLettered") + " ("
              + c.get("deadLetteredWithHeaders") + ") / " + c.get("deadLetterExpected"))
          .append(" | ")
          .append(c.get("resourcesExpected") == null ? "not run" : c.get("resourcesInvalid")
              + " / " + c.get("resourcesExpected"))
          .append(" | ").append(Boolean.TRUE.equals(c.get("passed")) ? "yes" : "**no**")
          .append(" |\n");
    }
    for (var e : classes.entrySet()) {
      Map<String, Object> c = (Map<String, Object>) e.getValue();
      md.append("\n## ").append(e.getKey()).append("\n\n")
          .append(String.format(Locale.ROOT, "%.0f s. ", number(c.get("seconds"))));
      if (c.get("perKind") instanceof Map<?, ?> perKind && !perKind.isEmpty()) {
        md.append("Per kind: ").append(perKind).append(". ");
      }
      List<?> findings = c.get("findings") instanceof List<?> l ? l : List.of();
      md.append(findings.isEmpty() ? "Nothing unexpected." : String.join(" ",
          findings.stream().map(String::valueOf).toList())).append('\n');
    }
    return md.toString();
  }

  /** "2026-12-02 20:05 UTC, full size, load 2.1–5.3" (or the reduced sizes). */
  private static String runNote(Map<String, Object> run) {
    String started = String.valueOf(run.get("started"));
    String when = started.length() >= 16 ? started.substring(0, 10) + " "
        + started.substring(11, 16) + " UTC" : started;
    StringBuilder s = new StringBuilder(when).append(", ");
    if ("quick".equals(run.get("mode"))) {
      s.append("quick: ");
    } else {
      s.append(Boolean.TRUE.equals(run.get("fullSize")) ? "full size: " : "**reduced**: ");
    }
    s.append(run.get("sizes"));
    if (run.get("loadMin") != null) {
      s.append(String.format(Locale.ROOT, "; load %.1f–%.1f (mean %.1f)",
          number(run.get("loadMin")), number(run.get("loadMax")),
          number(run.get("loadMean"))));
    }
    return s.toString();
  }

  private static double number(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static String dash(Object value) {
    return value == null ? "—" : value.toString();
  }

  /**
   * The broker and registry every class runs on, the walkthrough's two clusters, an agent's
   * producer and its heartbeats.
   */
  static final class Env implements AutoCloseable {
    final Path work;
    final EmbeddedSchemaRegistry registry;
    /** The in-process broker; null on an Env over a broker process (see {@link #over}). */
    final EmbeddedKafka kafka;
    /** Where the admin, the observer and the dead-letter reader connect: never faulted. */
    private final String direct;
    /** Where the agent's producer connects: a faulted path when a class puts a proxy there. */
    final String agentBootstrap;
    /** Where the topology connects: a faulted path when a class puts a proxy there. */
    final String topologyBootstrap;
    private final boolean ownsBroker;
    /** Set by the public constructor when it launched the registry itself. */
    private boolean ownsRegistry;
    final RegistryConfig registryConfig;
    final SchemaRegistryClient registryClient;
    final KafkaProducer<String, SpecificRecord> agent;
    /**
     * The heartbeats' producer: the agent's path, except on an Env whose agent path a class
     * partitions on purpose (see {@link NetworkFaults}), where they take the direct one.
     */
    private volatile KafkaProducer<String, SpecificRecord> heartbeats;
    private final ScheduledExecutorService pump =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "chaos-heartbeats");
          t.setDaemon(true);
          return t;
        });
    private volatile boolean heartbeating;

    /** On a broker of its own and {@code registry}, or (null) a registry of its own too. */
    Env(Path work, EmbeddedSchemaRegistry registry) throws IOException {
      this(work, registry != null ? registry
          : EmbeddedSchemaRegistry.launch(work.resolve("registry")),
          EmbeddedKafka.start(work.resolve("kafka")), null, null, null);
      ownsRegistry = registry == null;
    }

    /**
     * The same registry over another broker (a broker process a class restarts, or one behind
     * proxies): {@code direct} for the admin and the observer, the other two for the agent and
     * the topology. Closing it leaves the registry and the broker to their owners.
     */
    static Env over(Env base, String direct, String agentBootstrap, String topologyBootstrap)
        throws IOException {
      return new Env(base.work, base.registry, null, direct, agentBootstrap, topologyBootstrap);
    }

    /**
     * An Env over a broker someone else owns (a test's broker process) and a registry the
     * caller keeps (the shared one): every client connects to {@code bootstrap}.
     */
    static Env onBroker(Path work, EmbeddedSchemaRegistry registry, String bootstrap)
        throws IOException {
      return new Env(work, registry, null, bootstrap, bootstrap, bootstrap);
    }

    private Env(Path work, EmbeddedSchemaRegistry registry, EmbeddedKafka kafka, String direct,
        String agentBootstrap, String topologyBootstrap) throws IOException {
      this.work = work;
      this.registry = registry;
      this.kafka = kafka;
      this.ownsBroker = kafka != null;
      this.direct = kafka != null ? kafka.bootstrapServers() : direct;
      this.agentBootstrap = kafka != null ? kafka.bootstrapServers() : agentBootstrap;
      this.topologyBootstrap = kafka != null ? kafka.bootstrapServers() : topologyBootstrap;
      registry.awaitReady();
      registryConfig = RegistryConfig.of(registry.confluentApiUrl()).withAutoRegister(true);
      registryClient = new SchemaRegistryClient(registryConfig);
      agent = new KafkaProducer<>(Map.<String, Object>of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.agentBootstrap,
          ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()),
          new StringSerializer(), AvroSerde.anyRecord(registryClient).serializer());
      heartbeats = agent;
      // Heartbeats every second from both clusters, as their agents send them, while a class
      // runs; a topology that is down or behind must not turn its own gap into staleness.
      pump.scheduleAtFixedRate(() -> {
        if (heartbeating) {
          try {
            Bookinfo.publish(heartbeats, Bookinfo.MGMT,
                Bookinfo.heartbeat(Bookinfo.MGMT, Instant.now()));
            Bookinfo.publish(heartbeats, Bookinfo.REMOTE,
                Bookinfo.heartbeat(Bookinfo.REMOTE, Instant.now()));
          } catch (Exception e) {
            // A heartbeat lost to a broker fault is what a real agent would see too.
          }
        }
      }, 0, 1, TimeUnit.SECONDS);
    }

    String bootstrap() {
      return direct;
    }

    /** Heartbeats from now on over the direct listener, off the agent's (faulted) path. */
    void heartbeatsDirect() {
      heartbeats = new KafkaProducer<>(Map.<String, Object>of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, direct,
          ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"),
          new StringSerializer(), AvroSerde.anyRecord(registryClient).serializer());
    }

    org.apache.kafka.clients.admin.Admin admin() {
      return org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of(
          org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, direct));
    }

    TopologyConfig topologyConfig(String applicationId, Path stateDir) {
      return TopologyConfig.defaults(topologyBootstrap, registryConfig,
              Set.of(Bookinfo.MGMT))
          .withApplicationId(applicationId).withStateDir(stateDir)
          .withTimers(Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(200));
    }

    @SafeVarargs
    final void send(String cluster, KeyValue<String, SpecificRecord>... records)
        throws Exception {
      Bookinfo.publish(agent, cluster, records);
    }

    /** The walkthrough's world without its outlier policy: every input of the oracle. */
    void world() throws Exception {
      heartbeating = true;
      send(Bookinfo.MGMT, Bookinfo.heartbeat(Bookinfo.MGMT, Instant.now()),
          Bookinfo.reviewsService(Bookinfo.MGMT), Bookinfo.reviewsEndpoints(Bookinfo.MGMT, true));
      send(Bookinfo.REMOTE, Bookinfo.heartbeat(Bookinfo.REMOTE, Instant.now()),
          Bookinfo.reviewsService(Bookinfo.REMOTE),
          Bookinfo.reviewsEndpoints(Bookinfo.REMOTE, true));
      send(Bookinfo.MGMT, Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
    }

    /**
     * The world, then the oracle's state for it (a finding when it is not reached within
     * 2 minutes); returns the decisions it took (see {@link #initialDecisions}).
     */
    int startWorld(FaultResult r, Observer observer) throws Exception {
      world();
      boolean reached = awaitOracle(observer, true, Duration.ofSeconds(120));
      if (!reached) {
        r.findings.add("The initial world never reached the oracle: "
            + oracleDiff(observer, true));
      }
      return initialDecisions(r, observer, reached);
    }

    void flip(boolean mgmtReady) throws Exception {
      send(Bookinfo.MGMT, Bookinfo.reviewsEndpoints(Bookinfo.MGMT, mgmtReady));
    }

    /**
     * A flip sent the way an agent must send across an outage: a send the producer gave up on
     * (no metadata within max.block.ms, or the delivery timeout) is sent again, up to
     * {@code attempts} times; returns how many resends it took.
     */
    int flipResending(boolean mgmtReady, int attempts) {
      for (int attempt = 0; ; attempt++) {
        try {
          flip(mgmtReady);
          return attempt;
        } catch (Exception e) {
          if (attempt + 1 >= attempts) {
            throw new IllegalStateException("a flip was not delivered in " + attempts
                + " attempts", e);
          }
        }
      }
    }

    /**
     * Each class starts on empty cluster topics: the topology reads them from the beginning,
     * and one class's history (100,000 bad records, or flips) must not be the next one's input.
     */
    void freshClusters() throws Exception {
      heartbeating = false;
      List<String> topics = new ArrayList<>();
      for (String cluster : List.of(Bookinfo.MGMT, Bookinfo.REMOTE)) {
        topics.add("meshfed.cluster." + cluster + ".events");
        topics.add("meshfed.cluster." + cluster + ".config");
      }
      try (var admin = admin()) {
        Set<String> existing = admin.listTopics().names().get();
        List<String> delete = topics.stream().filter(existing::contains).toList();
        if (!delete.isEmpty()) {
          admin.deleteTopics(delete).all().get();
          await().atMost(Duration.ofSeconds(120))
              .until(() -> admin.listTopics().names().get().stream().noneMatch(delete::contains));
        }
        for (String cluster : List.of(Bookinfo.MGMT, Bookinfo.REMOTE)) {
          TopicProvisioner.addCluster(direct, cluster, (short) 1);
        }
        await().atMost(Duration.ofSeconds(120))
            .until(() -> admin.listTopics().names().get().containsAll(topics));
      }
    }

    /**
     * Waits until both clients' latest configs are what the rules conclude for the final
     * readiness; false when they are not within {@code timeout}.
     */
    boolean awaitOracle(Observer observer, boolean mgmtReady, Duration timeout) {
      try {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100))
            .until(() -> matchesOracle(observer, mgmtReady));
        return true;
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        return false;
      }
    }

    /**
     * How a fault run ends: waits for the {@code expected} decisions and for the oracle's final
     * state (a finding when it is not reached), stays quiet for a moment so that a late extra
     * decision is counted too, then judges the decision log.
     */
    void conclude(FaultResult r, Observer observer, boolean finalReady, int expected) {
      awaitDecisions(observer, expected, Duration.ofSeconds(180));
      r.finalEqualsOracle = awaitOracle(observer, finalReady, Duration.ofSeconds(60));
      if (!r.finalEqualsOracle) {
        r.findings.add("Final state is not the oracle's: " + oracleDiff(observer, finalReady));
      }
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60))
          .until(() -> matchesOracle(observer, finalReady));
      judgeLog(r, observer, expected);
    }

    static boolean matchesOracle(Observer observer, boolean mgmtReady) {
      for (String client : List.of(Bookinfo.MGMT, Bookinfo.REMOTE)) {
        var actual = observer.latest.get(client);
        if (actual == null || !Oracle.describe(actual)
            .equals(Oracle.describe(Oracle.reviewsFailover(client, mgmtReady)))) {
          return false;
        }
      }
      return true;
    }

    /** What differs from the oracle, for the report. */
    static String oracleDiff(Observer observer, boolean mgmtReady) {
      StringBuilder diff = new StringBuilder();
      for (String client : List.of(Bookinfo.MGMT, Bookinfo.REMOTE)) {
        var actual = observer.latest.get(client);
        String expected = Oracle.describe(Oracle.reviewsFailover(client, mgmtReady));
        String got = actual == null ? "no config" : Oracle.describe(actual);
        if (!expected.equals(got)) {
          diff.append(client).append(": expected `").append(expected).append("`, got `")
              .append(got).append("`. ");
        }
      }
      return diff.toString();
    }

    /**
     * The decisions the initial world took: at least one per client, whether or not they
     * arrived yet; more when the topology decided on part of the world first (under load, with
     * several instances, a FailoverService can be evaluated before every member's endpoints
     * are in: tier 0 unhealthy, then TIER_RECOVERED — right for the inputs it had). Counted once
     * the oracle is reached, so they are not taken for decisions the flips do not explain.
     */
    static int initialDecisions(FaultResult r, Observer observer, boolean reachedOracle) {
      int seen = awaitDecisions(observer, 2, Duration.ofSeconds(30));
      if (reachedOracle && seen > 2) {
        r.findings.add("The initial world took " + seen + " decisions (decided on part of its"
            + " inputs first).");
        return seen;
      }
      return 2;
    }

    /** Waits (bounded) until {@code count} decisions were seen; the number seen. */
    static int awaitDecisions(Observer observer, int count, Duration timeout) {
      try {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100))
            .until(() -> observer.decisionCount() >= count);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // reported as lost transitions
      }
      return observer.decisionCount();
    }

    /**
     * Stream-thread deaths of an in-process topology started with one thread: every thread not
     * named {@code -StreamThread-1} replaced a dead one; a topology not RUNNING at the end counts
     * as at least one.
     */
    static void judgeThreads(FaultResult r, KafkaStreams streams) {
      long deaths = streams.metadataForLocalThreads().stream().map(ThreadMetadata::threadName)
          .filter(name -> !name.endsWith("-StreamThread-1")).count();
      r.threadDeaths = deaths;
      if (streams.state() != KafkaStreams.State.RUNNING) {
        r.findings.add("The topology ended " + streams.state() + ", not RUNNING.");
        r.threadDeaths = Math.max(1, deaths);
      }
    }

    /** Fills in epochs, decisions and lost transitions from what the observer saw. */
    static void judgeLog(FaultResult r, Observer observer, int expected) {
      r.expectedDecisions = expected;
      r.decisionsDuring = observer.decisionCount();
      r.lostTransitions = Math.max(0, expected - r.decisionsDuring);
      var byDestination = Oracle.epochsByDestination(observer.decisions);
      r.epochsOutOfPlace = byDestination.values().stream()
          .mapToLong(Oracle::epochsOutOfPlace).sum();
      if (r.decisionsDuring > expected) {
        // Every flip moves each client to the other tier, so a client's decision that leaves
        // its active tier where the previous one put it is one the flips do not explain.
        List<String> unexplained = new ArrayList<>();
        Map<String, Integer> lastTier = new java.util.HashMap<>();
        for (var d : observer.decisions) {
          int tier = d.getAfter().getActiveTier();
          Integer previous = lastTier.put(d.getClientCluster(), tier);
          if (previous != null && previous == tier) {
            unexplained.add("epoch " + d.getEpoch() + " " + d.getClientCluster() + " "
                + d.getReasonCode() + " tier " + previous + "->" + tier + " (before "
                + (d.getBefore() == null ? "none" : d.getBefore().getActiveTier() + " "
                    + d.getBefore().getTierLoadPercent()) + ", after "
                + d.getAfter().getTierLoadPercent() + "): " + d.getReason());
          }
        }
        r.findings.add((r.decisionsDuring - expected) + " decision(s) more than the flips"
            + " explain; decisions that left a client's active tier unchanged: " + unexplained
            + ".");
      }
      if (r.epochsOutOfPlace > 0) {
        r.findings.add("Epochs per destination in log order: " + byDestination + ".");
      }
    }

    @Override
    public void close() {
      pump.shutdownNow();
      agent.close(Duration.ofSeconds(5));
      if (heartbeats != agent) {
        heartbeats.close(Duration.ofSeconds(5));
      }
      if (ownsBroker) {
        kafka.close();
      }
      if (ownsRegistry) {
        registry.close();
      }
    }
  }
}
