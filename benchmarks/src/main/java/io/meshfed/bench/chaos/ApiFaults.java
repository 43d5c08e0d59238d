package io.meshfed.bench.chaos;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class {@code api-faults}: the Kubernetes API server failing under a real agent.
 * mgmt-cluster's {@link ClusterAgent} (Istio, the policy source) runs on the mock API server
 * of {@link ApiFaultServer}, the topology in this JVM. While mgmt-cluster's readiness flips,
 * one flip at a time, the server answers the agent with 409 Conflict, 429 with Retry-After,
 * 500, no answer at all and 410 Gone on watches (new and open ones), until each was injected
 * {@link #perFault} times; meanwhile the harness creates, changes and deletes Services in the
 * cluster, which the agent's informers must publish through the expired watches.
 *
 * <p>The oracle: the common one (each client's config as the rules give it, epochs 1..n, two
 * decisions per flip), and the agent's side: after every flip the agent's objects in the API
 * server become exactly what its applier makes of mgmt-cluster's latest config (a flip whose
 * objects never get there is a lost transition), and once the faults stop the agent is ready
 * again, its objects are the final config's, and the last record it published per Service is
 * the cluster's state (a tombstone for a deleted one). Recovery is the time from the storm's
 * end until all of that holds.
 */
final class ApiFaults {

  static final String PER_FAULT_PROPERTY = "meshfed.chaos.apiFaults";
  /** The agent client's bound on a request that gets no answer (fabric8's default is 10 s). */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
  /** How long one flip's apply may take under the faults before it counts as lost. */
  static final Duration APPLY_BOUND = Duration.ofSeconds(120);
  static final String SERVICES_NAMESPACE = "chaos-api";
  static final int SERVICES = 12;

  private final Env env;
  private final ChaosSuite.Sizes sizes;

  ApiFaults(Env env, ChaosSuite.Sizes sizes) {
    this.env = env;
    this.sizes = sizes;
  }

  /** Each fault at least this often ({@code --api-faults N}): issue #21's 50; 5 in quick. */
  int perFault() {
    return Integer.getInteger(PER_FAULT_PROPERTY, sizes.quick() ? 5 : 50);
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("api-faults");
    r.recoveryMeasure = "storm's end to the agent ready, applied and published";
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-api-faults",
        Files.createTempDirectory(env.work, "state-api-faults")), new Properties());
    ApiFaultServer faults = new ApiFaultServer();
    ClusterAgent agent = null;
    try (MockCluster cluster = new MockCluster(faults);
        Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      agent = new ClusterAgent(MockCluster.mgmtAgent(env, env.agentBootstrap, Map.of()),
          cluster.agentClient(REQUEST_TIMEOUT)).start();
      ClusterAgent started = agent;
      await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING && started.isReady());
      int expected = env.startWorld(r, observer);
      awaitApplied(cluster, observer, Duration.ofSeconds(60));

      faults.on = true;
      faults.expireOpenWatches();
      Map<String, Integer> services = new LinkedHashMap<>();
      boolean ready = true;
      int flips = 0;
      int notApplied = 0;
      List<Double> applySeconds = new ArrayList<>();
      int maxFlips = perFault() * 8;
      while (!faults.atLeast(perFault()) && flips < maxFlips) {
        ready = !ready;
        long t0 = System.nanoTime();
        env.flip(ready);
        flips++;
        expected += 2;
        Env.awaitDecisions(observer, expected, Duration.ofSeconds(120));
        changeService(cluster, services, flips);
        // Every flip's config must reach the API server through the faults, one at a time.
        if (awaitApplied(cluster, observer, APPLY_BOUND) != null) {
          notApplied++;
        }
        applySeconds.add((System.nanoTime() - t0) / 1e9);
        if (flips % 4 == 0) {
          faults.expireOpenWatches();
        }
      }
      faults.on = false;
      long stormEnd = System.nanoTime();
      Map<String, Long> counts = faults.counts();
      r.perKind.putAll(counts);
      r.injectedCount = counts.values().stream().mapToLong(Long::longValue).sum();
      r.injected = String.format(Locale.ROOT, "%s API faults (409 %d, 429 with Retry-After %d,"
          + " 500 %d, no answer %d, 410 Gone on watches %d) among %d flips and %d Service"
          + " changes", String.format(Locale.ROOT, "%,d", r.injectedCount), counts.get("409"),
          counts.get("429"), counts.get("500"), counts.get("hang"), counts.get("410"), flips,
          flips);

      // After the storm: one more change, through watches that work again.
      changeService(cluster, services, -1);
      boolean finalReady = ready;
      ClusterAgent last = agent;
      String[] why = {""};
      boolean recovered;
      try {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
            .until(() -> {
              String diff = cluster.appliedDiff(observer.latest.get(Bookinfo.MGMT));
              String published = publishedDiff(services);
              why[0] = "ready " + last.readiness() + "; applied: " + diff + "; published: "
                  + published;
              return last.isReady() && diff == null && published == null
                  && Env.matchesOracle(observer, finalReady);
            });
        recovered = true;
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        recovered = false;
        r.findings.add("Five minutes after the storm the agent had not caught up: " + why[0]
            + ".");
      }
      r.maxRecoverySeconds = (System.nanoTime() - stormEnd) / 1e9;

      env.conclude(r, observer, finalReady, expected);
      // A flip whose objects never reached the API server is a transition lost on the way.
      r.lostTransitions += notApplied;
      boolean enough = faults.atLeast(perFault());
      if (!enough) {
        r.findings.add("Fewer than " + perFault() + " of some fault after " + flips
            + " flips: " + counts + ".");
      }
      r.classOracle = enough && recovered && notApplied == 0;
      r.alive = agent.isReady();
      Env.judgeThreads(r, streams);
      applySeconds.sort(null);
      r.findings.add(String.format(Locale.ROOT, "Each flip's objects in the API server"
          + " (decision, config, apply through the faults): median %.1f s, slowest %.1f s;"
          + " %d never applied within %d s. Agent client: request timeout %d s, no client"
          + " retry (the agent's backoff only). API server: %s.",
          applySeconds.isEmpty() ? 0 : applySeconds.get(applySeconds.size() / 2),
          applySeconds.isEmpty() ? 0 : applySeconds.get(applySeconds.size() - 1), notApplied,
          APPLY_BOUND.toSeconds(), REQUEST_TIMEOUT.toSeconds(), faults.summary()));
    } finally {
      if (agent != null) {
        agent.close();
      }
      streams.close(Duration.ofSeconds(30));
    }
    return r;
  }

  /**
   * Waits until the agent's objects are what its applier makes of mgmt-cluster's latest
   * config; null when they are, else what still differs after {@code bound}.
   */
  static String awaitApplied(MockCluster cluster, Observer observer, Duration bound) {
    String[] diff = {null};
    try {
      await().atMost(bound).pollInterval(Duration.ofMillis(100)).until(() -> {
        diff[0] = cluster.appliedDiff(observer.latest.get(Bookinfo.MGMT));
        return diff[0] == null;
      });
      return null;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return diff[0];
    }
  }

  /**
   * One change to the cluster's Services (create, change a port, or delete, in turn over
   * {@link #SERVICES} names); {@code step} -1 creates the one that comes after the storm.
   */
  private static void changeService(MockCluster cluster, Map<String, Integer> services,
      int step) {
    String name = step < 0 ? "after" : "svc-" + (step % SERVICES);
    int port = 9000 + Math.max(step, 0);
    var resource = cluster.client.services().inNamespace(SERVICES_NAMESPACE).withName(name);
    if (services.get(name) == null) {
      resource.create(service(name, port));
      services.put(name, port);
    } else if (step % 3 == 0) {
      resource.delete();
      services.put(name, null);
    } else {
      resource.edit(s -> new ServiceBuilder(s).editSpec().editFirstPort().withPort(port)
          .endPort().endSpec().build());
      services.put(name, port);
    }
  }

  private static Service service(String name, int port) {
    return new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
        .withNamespace(SERVICES_NAMESPACE).build()).withNewSpec().addNewPort().withPort(port)
        .endPort().endSpec().build();
  }

  /**
   * How the agent's last published record per Service differs from the cluster's state
   * (name → port, null for deleted); null when it does not. Reads mgmt-cluster's events topic
   * from the start (each class starts on fresh topics).
   */
  private String publishedDiff(Map<String, Integer> services) {
    Map<String, String> keys = new HashMap<>();
    services.keySet().forEach(n -> keys.put(EventKeys.service(Bookinfo.MGMT,
        SERVICES_NAMESPACE, n), n));
    Map<String, Integer> published = new HashMap<>();
    Map<String, Boolean> seen = new HashMap<>();
    try (KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(
        Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000),
        new StringDeserializer(), AvroSerde.anyRecord(env.registryClient).deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(BadInput.EVENTS).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline && end.entrySet().stream()
          .anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (ConsumerRecord<String, SpecificRecord> rec : consumer.poll(
            Duration.ofMillis(200))) {
          String name = keys.get(rec.key());
          if (name != null) {
            seen.put(name, true);
            published.put(name, rec.value() instanceof ServiceSnapshot s
                ? s.getPorts().get(0).getNumber() : null);
          }
        }
      }
    }
    List<String> diff = new ArrayList<>();
    services.forEach((name, port) -> {
      // A Service deleted before the agent saw it may rightly never have been published.
      boolean held = seen.containsKey(name) ? java.util.Objects.equals(published.get(name), port)
          : port == null;
      if (!held) {
        diff.add(name + ": cluster " + (port == null ? "deleted" : port) + ", published "
            + (!seen.containsKey(name) ? "nothing" : published.get(name) == null ? "tombstone"
                : published.get(name)));
      }
    });
    return diff.isEmpty() ? null : String.join("; ", diff);
  }
}
