package io.meshfed.bench.chaos;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.bench.chaos.BadResourceGenerator.Bad;
import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class {@code bad-resources}: bad meshfed resources through a real agent. mgmt-cluster's
 * agent ({@link ClusterAgent}, the policy source) watches the fabric8 mock API server in CRUD
 * mode, as the agent's tests do; {@link BadResourceGenerator}'s resources are created there
 * while mgmt-cluster's readiness flips, and a share goes through {@code meshfed apply}
 * ({@link CliShare}). The oracle: every bad resource ends with the state it must have (INVALID,
 * or WARNING for a dangling reference the design keeps a warning) and a status whose messages
 * name the field at fault and stay within {@link #MAX_MESSAGE} characters each, at most
 * {@link #MAX_MESSAGES} of them, in a status document of at most {@link #MAX_STATUS_BYTES};
 * the flips' decisions are exactly the expected ones (none caused by a bad resource); nothing
 * dead-lettered; the agent ready and the topology RUNNING with no stream thread lost.
 */
final class BadResources {

  static final String COUNT_PROPERTY = "meshfed.chaos.badResources";
  static final String CLI_FILES_PROPERTY = "meshfed.chaos.cliFiles";

  /** The bounds a status must keep, whatever the resource holds. */
  static final int MAX_MESSAGE = 1_000;
  static final int MAX_MESSAGES = io.meshfed.rules.validation.Findings.MAX_MESSAGES + 1;
  static final int MAX_STATUS_BYTES = 64 * 1024;

  private final Env env;
  private final ChaosSuite.Sizes sizes;

  BadResources(Env env, ChaosSuite.Sizes sizes) {
    this.env = env;
    this.sizes = sizes;
  }

  /**
   * How many bad resources go through the agent's API server ({@code --bad-resources N}); the
   * quick mode's 72 are two of each of the 34 regular categories and the four absurd ones.
   */
  int count() {
    return Integer.getInteger(COUNT_PROPERTY, sizes.quick() ? 72 : 10_000);
  }

  /**
   * One resource in this many is absurd (10,000 backing services, a 1.1 MB hostname, ...): one
   * in 500 in a full run, one in 18 in the quick mode, so that its 72 hold all four.
   */
  int absurdEvery() {
    return sizes.quick() ? 18 : BadResourceGenerator.ABSURD_EVERY;
  }

  /**
   * How many bad files go through {@code meshfed apply} ({@code --cli-files N}); the quick
   * mode's four are three refusals (a multi-document file among them) and one applied file.
   */
  int cliFiles() {
    return Integer.getInteger(CLI_FILES_PROPERTY, sizes.quick() ? 4 : 60);
  }

  int flips() {
    return sizes.quick() ? 2 : 20;
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("bad-resources");
    Map<TopicPartition, Long> dlqStart = deadLetterEnds();
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-bad-resources",
        Files.createTempDirectory(env.work, "state-bad-resources")), new Properties());
    // The CRUD mock with watch endings off its event loop: with the original, each of the
    // agent's informer re-watches (every 5-10 minutes each) could stop the server for 30 s
    // once the store was big, and the full 10,000 never finished (OffLoopCloseCrudDispatcher).
    OffLoopCloseCrudDispatcher dispatcher = new OffLoopCloseCrudDispatcher();
    MockCluster cluster = new MockCluster(dispatcher);
    KubernetesClient client = cluster.client;
    ClusterAgent agent = null;
    try (Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      agent = new ClusterAgent(MockCluster.mgmtAgent(env, env.agentBootstrap, Map.of()),
          client).start();
      ClusterAgent started = agent;
      await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING && started.isReady());
      env.world();
      if (!env.awaitOracle(observer, true, Duration.ofSeconds(120))) {
        r.findings.add("The initial world never reached the oracle: "
            + Env.oracleDiff(observer, true));
      }
      int initial = Env.initialDecisions(r, observer, true);

      int count = count();
      Map<String, Bad> sent = new LinkedHashMap<>();
      int flipEvery = Math.max(1, count / Math.max(1, flips()));
      boolean ready = true;
      int flips = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        Bad bad = BadResourceGenerator.next(i, absurdEvery());
        r.perKind.merge(bad.category(), 1L, Long::sum);
        try {
          client.genericKubernetesResources(bad.crd()).inNamespace(BadResourceGenerator.NAMESPACE)
              .resource(bad.resource()).create();
          sent.put(bad.key(), bad.withoutSpec());
        } catch (RuntimeException e) {
          r.findings.add("The API server refused " + bad.key() + ": " + e + ".");
        }
        if (i % flipEvery == flipEvery - 1 && flips < flips()) {
          ready = !ready;
          env.flip(ready);
          flips++;
          // Each flip decided before the next (see BadInput): two decisions per flip.
          Env.awaitDecisions(observer, initial + 2 * flips, Duration.ofSeconds(60));
        }
      }
      double createSeconds = (System.nanoTime() - t0) / 1e9;

      CliShare.Outcome cli = new CliShare(env.work, client, cliFiles()).run();
      r.findings.addAll(cli.findings());
      cli.applied().forEach(b -> sent.put(b.key(), b));
      cli.perCategory().forEach((k, v) -> r.perKind.merge(k, v, Long::sum));

      r.injectedCount = count + cli.files();
      r.injected = String.format("%,d bad resources (%d categories, 5 kinds) through the"
          + " agent's API server among %d flips; %,d bad files through meshfed apply (%d"
          + " refused with exit 2, %d applied)", count, r.perKind.size(), flips, cli.files(),
          cli.refused(), cli.applied().size());

      // Every resource to its expected status, or no progress for two minutes.
      long t1 = System.nanoTime();
      StatusJudge judge = new StatusJudge(client, sent);
      judge.awaitAll(Duration.ofSeconds(120), Duration.ofMinutes(sizes.quick() ? 3 : 30));
      r.maxRecoverySeconds = (System.nanoTime() - t1) / 1e9;
      r.resourcesExpected = (long) sent.size() + cli.refused();
      r.resourcesInvalid = judge.good() + cli.refusedCleanly();
      if (!judge.problems().isEmpty()) {
        r.findings.add("Resources without the expected status, per category: "
            + judge.problemsByCategory() + "; first few: " + judge.problems() + ".");
      }
      r.findings.add(String.format("Creating them took %.1f s; every status was in place"
          + " %.1f s later. Largest status document %,d bytes, longest message %,d"
          + " characters, most messages %d.", createSeconds, r.maxRecoverySeconds,
          judge.largestStatus(), judge.longestMessage(), judge.mostMessages()));

      r.findings.add("API server: " + dispatcher.summary() + ".");

      boolean finalReady = ready;
      env.conclude(r, observer, finalReady, initial + 2 * flips);

      // Nothing dead-lettered: a bad resource is a valid record whose content is wrong.
      r.deadLetterExpected = 0L;
      r.deadLettered = deadLettersSince(dlqStart);
      r.deadLetteredWithHeaders = r.deadLettered;
      Env.judgeThreads(r, streams);
      r.alive = agent.isReady();
      if (!r.alive) {
        r.findings.add("The agent ended not ready: " + agent.readiness() + ".");
      }
    } finally {
      if (agent != null) {
        agent.close();
      }
      cluster.close();
      streams.close(Duration.ofSeconds(30));
    }
    return r;
  }

  private KafkaConsumer<String, byte[]> dlqConsumer() {
    return new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), new ByteArrayDeserializer());
  }

  private Map<TopicPartition, Long> deadLetterEnds() {
    try (var consumer = dlqConsumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(MeshfedTopics.DEAD_LETTER)
          .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      return consumer.endOffsets(partitions);
    }
  }

  /** Dead letters from mgmt-cluster's events topic since {@code start}. */
  private long deadLettersSince(Map<TopicPartition, Long> start) {
    long count = 0;
    try (var consumer = dlqConsumer()) {
      consumer.assign(start.keySet());
      start.forEach(consumer::seek);
      Map<TopicPartition, Long> end = consumer.endOffsets(start.keySet());
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline && end.entrySet().stream()
          .anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
          var topic = rec.headers().lastHeader("__streams.errors.topic");
          if (topic != null && BadInput.EVENTS.equals(
              new String(topic.value(), StandardCharsets.UTF_8))) {
            count++;
          }
        }
      }
    }
    return count;
  }

  /**
   * Reads the bad resources' statuses back from the API server until each is as expected: the
   * state, a message naming the field at fault, and the bounds.
   */
  static final class StatusJudge {
    private final KubernetesClient client;
    private final Map<String, Bad> pending;
    private final Map<String, String> lastProblem = new TreeMap<>();
    private long good;
    private long largestStatus;
    private int longestMessage;
    private int mostMessages;

    StatusJudge(KubernetesClient client, Map<String, Bad> expected) {
      this.client = client;
      this.pending = new HashMap<>(expected);
    }

    void awaitAll(Duration withoutProgress, Duration atMost) {
      long lastProgress = System.nanoTime();
      long deadline = System.nanoTime() + atMost.toNanos();
      while (!pending.isEmpty() && System.nanoTime() < deadline
          && System.nanoTime() - lastProgress < withoutProgress.toNanos()) {
        if (sweep() > 0) {
          lastProgress = System.nanoTime();
        }
        await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
      }
    }

    /**
     * One pass over the pending resources; how many became good. Generated resources are read
     * a category at a time (their label: ~290 of a category in a full run, or the five absurd
     * ones of one), the CLI's by name. The earlier sweep listed whole kinds, and — its
     * distinct() comparing ResourceDefinitionContexts, which have no equals — once per
     * resource: at the full size thousands of lists of 2,000 FailoverServices (five
     * million-character hostnames, five lists of 10,000 backing services among them) per
     * sweep, more than the mock server could compose in the 1 GB heap the whole stack shares
     * (OutOfMemoryError on the server's event loop, every sweep, 2026-12-03 02:53).
     */
    private int sweep() {
      int done = 0;
      // By kind name: ResourceDefinitionContext has no equals, and the generator makes one
      // per resource (the earlier sweep's distinct() listed a whole kind once per resource).
      Map<String, Map<String, List<Bad>>> groups = new TreeMap<>();
      for (Bad bad : pending.values()) {
        groups.computeIfAbsent(bad.crd().getKind(), c -> new TreeMap<>())
            .computeIfAbsent(String.valueOf(bad.categoryLabel()), c -> new ArrayList<>())
            .add(bad);
      }
      for (var byKind : groups.entrySet()) {
        for (var group : byKind.getValue().entrySet()) {
          ResourceDefinitionContext crd = group.getValue().get(0).crd();
          List<GenericKubernetesResource> items = new ArrayList<>();
          try {
            var inNamespace = client.genericKubernetesResources(crd)
                .inNamespace(BadResourceGenerator.NAMESPACE);
            if (group.getValue().get(0).categoryLabel() != null) {
              items = inNamespace.withLabel(BadResourceGenerator.CATEGORY_LABEL,
                  group.getKey()).list().getItems();
            } else {
              for (Bad bad : group.getValue()) {
                GenericKubernetesResource live = inNamespace.withName(bad.name()).get();
                if (live != null) {
                  items.add(live);
                }
              }
            }
          } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            // A read the loaded mock server did not answer in time: no progress for this
            // group this sweep, which awaitAll bounds; one timeout must not stop the class
            // (see CliShare.exists).
            continue;
          }
          for (GenericKubernetesResource live : items) {
            String key = crd.getKind() + "/" + live.getMetadata().getName();
            Bad bad = pending.get(key);
            if (bad == null) {
              continue;
            }
            String problem = judge(bad, live.getAdditionalProperties().get("status"));
            if (problem == null) {
              pending.remove(key);
              lastProblem.remove(key);
              good++;
              done++;
            } else {
              lastProblem.put(key, problem);
            }
          }
        }
      }
      return done;
    }

    /** Why {@code status} is not what {@code bad} must end with; null when it is. */
    private String judge(Bad bad, Object status) {
      if (!(status instanceof Map<?, ?> s)) {
        return "no status";
      }
      int bytes = Serialization.asJson(s).getBytes(StandardCharsets.UTF_8).length;
      largestStatus = Math.max(largestStatus, bytes);
      List<?> errors = s.get("validationErrors") instanceof List<?> l ? l : List.of();
      List<?> warnings = s.get("warnings") instanceof List<?> l ? l : List.of();
      mostMessages = Math.max(mostMessages, Math.max(errors.size(), warnings.size()));
      for (Object m : concat(errors, warnings)) {
        longestMessage = Math.max(longestMessage, String.valueOf(m).length());
      }
      if (!bad.expectedState().equals(s.get("state"))) {
        return "state " + s.get("state") + ", not " + bad.expectedState();
      }
      List<?> said = bad.expectedState().equals("INVALID") ? errors : warnings;
      if (said.stream().noneMatch(m -> String.valueOf(m).contains(bad.expectedFragment()))) {
        return "no message names \"" + bad.expectedFragment() + "\": "
            + abbreviate(String.valueOf(said));
      }
      if (bytes > MAX_STATUS_BYTES) {
        return "status of " + bytes + " bytes";
      }
      if (errors.size() > MAX_MESSAGES || warnings.size() > MAX_MESSAGES) {
        return errors.size() + " errors and " + warnings.size() + " warnings";
      }
      for (Object m : concat(errors, warnings)) {
        if (String.valueOf(m).length() > MAX_MESSAGE) {
          return "a message of " + String.valueOf(m).length() + " characters";
        }
      }
      return null;
    }

    private static List<Object> concat(List<?> a, List<?> b) {
      List<Object> out = new ArrayList<>(a);
      out.addAll(b);
      return out;
    }

    long good() {
      return good;
    }

    long largestStatus() {
      return largestStatus;
    }

    int longestMessage() {
      return longestMessage;
    }

    int mostMessages() {
      return mostMessages;
    }

    Map<String, Long> problemsByCategory() {
      Map<String, Long> out = new TreeMap<>();
      pending.values().forEach(b -> out.merge(b.category(), 1L, Long::sum));
      return out;
    }

    /** The first few pending resources and why, one per category. */
    List<String> problems() {
      Map<String, String> perCategory = new TreeMap<>();
      for (String key : pending.keySet()) {
        Bad bad = pending.get(key);
        perCategory.putIfAbsent(bad.category(), key + ": "
            + lastProblem.getOrDefault(key, "never listed"));
      }
      return new ArrayList<>(perCategory.values());
    }
  }

  static String abbreviate(String s) {
    String flat = s.replaceAll("\\p{Cntrl}", "?");
    return flat.length() > 200 ? flat.substring(0, 200) + "… (" + flat.length() + " chars)"
        : flat;
  }
}
