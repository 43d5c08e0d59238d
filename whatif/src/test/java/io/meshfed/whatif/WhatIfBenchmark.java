package io.meshfed.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What-if at fleet scale, outside the suite:
 * {@code -Dmeshfed.whatif.bench=HOURS,CLUSTERS} (README: What-if replay). Generates HOURS of
 * CLUSTERS clusters' events as agents write them — a heartbeat every 5 s each (the agent's
 * default), the reviews Service and its two endpoints in every cluster, the VirtualDestination
 * and local-first FailoverPolicy from mgmt-cluster, every 10 minutes one cluster's endpoints
 * unready for 2 minutes (288 flips a day), and each cluster's daily resend of its unchanged
 * objects (the agent's resync, spread over the day) — onto a real broker, then replays them all
 * with the 60 s damping proposal, prints the time the replay took and writes it to
 * {@code bench/results/whatif.json} (with the rate's extrapolation to a day of 100 clusters).
 */
@EnabledIfSystemProperty(named = "meshfed.whatif.bench", matches = "\\d+,\\d+")
class WhatIfBenchmark {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  @Test
  void replaysAFleetsDay() throws Exception {
    String[] size = System.getProperty("meshfed.whatif.bench").split(",");
    int hours = Integer.parseInt(size[0]);
    int clusters = Integer.parseInt(size[1]);
    List<String> names = new ArrayList<>();
    names.add(Bookinfo.MGMT); // the policy source
    for (int i = 1; i < clusters; i++) {
      names.add(String.format("c%03d", i));
    }
    List<NewTopic> topics = new ArrayList<>();
    for (String name : names) {
      topics.add(new NewTopic("meshfed.cluster." + name + ".events", 1, (short) 1)
          .configs(Map.of("retention.ms", "-1")));
    }
    STACK.kafka().createTopics(topics);
    TopologyConfig live = TopologyConfig.defaults(STACK.bootstrapServers(),
            RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT), Set.of(Bookinfo.MGMT))
        .withTimers(Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(1));
    MeshfedTopics meshfed = new MeshfedTopics(new io.meshfed.registry.SchemaRegistryClient(
        live.registry()));
    var events = meshfed.clusterEvents();
    Instant start = Instant.now().minus(Duration.ofHours(hours)).truncatedTo(ChronoUnit.HOURS);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 50);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    // Uncompressed, as the agents write them (lz4 was most of the generator's time, and a day
    // of 100 clusters is 1.73 M records to write before the replay starts).
    long produced = 0;
    long resent = 0;
    long flips = 0;
    double loadAtStart = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage();
    long generating = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int c = 0; c < names.size(); c++) {
        String name = names.get(c);
        send(producer, events, name, start, EventKeys.service(name, "bookinfo", "reviews"),
            service(name));
        send(producer, events, name, start, EventKeys.endpoints(name, "bookinfo", "reviews"),
            endpoints(name, c, true));
        produced += 2;
      }
      var policy = Bookinfo.localFirstPolicy();
      var vd = Bookinfo.reviewsVirtualDestination();
      send(producer, events, Bookinfo.MGMT, start, policy.key, policy.value);
      send(producer, events, Bookinfo.MGMT, start, vd.key, vd.value);
      produced += 2;
      long seconds = hours * 3600L;
      for (long s = 0; s < seconds; s++) {
        Instant now = start.plusSeconds(s);
        if (s % 5 == 0) {
          for (int c = 0; c < names.size(); c++) {
            // Agents' heartbeats spread over the period, not all in one millisecond.
            Instant at = now.plusMillis(c * 5000L / names.size());
            send(producer, events, names.get(c), at, EventKeys.heartbeat(names.get(c)),
                heartbeat(names.get(c), at));
            produced++;
          }
        }
        // The agent resends every unchanged object once a day; cluster c's turn is c/N of
        // the way through the day.
        long ofDay = s % 86_400;
        for (int c = (int) (ofDay * names.size() / 86_400); c < names.size()
            && (long) c * 86_400 / names.size() == ofDay; c++) {
          String name = names.get(c);
          send(producer, events, name, now.plusMillis(2),
              EventKeys.service(name, "bookinfo", "reviews"), service(name));
          send(producer, events, name, now.plusMillis(2),
              EventKeys.endpoints(name, "bookinfo", "reviews"), endpoints(name, c, !down(s, c,
                  names.size())));
          produced += 2;
          resent += 2;
        }
        if (s % 600 == 0 || s % 600 == 120) {
          int c = (int) (s / 600 % names.size());
          send(producer, events, names.get(c), now.plusMillis(1),
              EventKeys.endpoints(names.get(c), "bookinfo", "reviews"),
              endpoints(names.get(c), c, s % 600 == 120));
          produced++;
          flips++;
        }
      }
      producer.flush();
    }
    double generated = (System.nanoTime() - generating) / 1e9;
    Path proposal = Path.of("..", "examples", "whatif", "damping-60s.yaml");
    // CPU time as well as elapsed: on a shared machine at nice 19 the elapsed time says as much
    // about the other builds as about the replay. The replay runs on this thread; the broker
    // serving its reads runs in this process too.
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    var process = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long threadCpu = threads.getCurrentThreadCpuTime();
    long processCpu = process.getProcessCpuTime();
    long replaying = System.nanoTime();
    Report report = new WhatIf(live).run(new WhatIf.Request(
        ProposedPolicies.parse(Files.readString(proposal)), start.plus(Duration.ofMinutes(5)),
        start.plus(Duration.ofHours(hours)), Duration.ofMinutes(5)));
    double replayed = (System.nanoTime() - replaying) / 1e9;
    double replayCpu = (threads.getCurrentThreadCpuTime() - threadCpu) / 1e9;
    double replayProcessCpu = (process.getProcessCpuTime() - processCpu) / 1e9;
    double loadAfterReplay = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage();
    String table = report.table();
    System.out.println(String.join("\n", table.lines().limit(20).toList()));
    double rate = report.replayedRecords / replayed;
    // A day of 100 clusters as generated here: 100 heartbeats every 5 s, 288 flips, the
    // first snapshots and the daily resend (2 objects a cluster each), the two resources.
    long dayOf100 = 100L * 86_400 / 5 + 288 + 2 * 100 + 2 * 100 + 2;
    System.out.printf("what-if bench: %d h of %d clusters, %,d records generated in %.1f s;"
        + " replayed %,d records in %.1f s (%,.0f records/s; %,d piped, %,d clock moves),"
        + " replay thread CPU %.1f s, process CPU %.1f s; max heap %d MB, load %.1f -> %.1f%n",
        hours, clusters, produced, generated, report.replayedRecords, replayed, rate,
        report.replayedRecords - report.heartbeatsLeftOut, report.clockMoves, replayCpu,
        replayProcessCpu, Runtime.getRuntime().maxMemory() >> 20, loadAtStart,
        loadAfterReplay);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("command", "mvn -pl whatif -am -Dtest=WhatIfBenchmark"
        + " -Dmeshfed.whatif.bench=" + hours + "," + clusters + " verify");
    result.put("run", Instant.now().toString());
    result.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
        "maxHeapMb", Runtime.getRuntime().maxMemory() >> 20,
        "java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        "loadAverageAtStart", loadAtStart, "loadAverageAfterReplay", loadAfterReplay));
    result.put("hours", hours);
    result.put("clusters", clusters);
    result.put("records", produced);
    result.put("heartbeats", produced - flips - resent - 2L * clusters - 2);
    result.put("endpointFlips", flips);
    result.put("resentObjects", resent);
    result.put("generateSeconds", round(generated));
    result.put("replayedRecords", report.replayedRecords);
    result.put("replaySeconds", round(replayed));
    result.put("recordsPerSecond", Math.round(rate));
    result.put("replayThreadCpuSeconds", round(replayCpu));
    result.put("replayProcessCpuSeconds", round(replayProcessCpu));
    result.put("recordsPerCpuSecond", Math.round(report.replayedRecords / replayCpu));
    result.put("flaps", report.toJson().get("totals"));
    result.put("routineHeartbeatsLeftOut", report.heartbeatsLeftOut);
    result.put("pipedRecords", report.replayedRecords - report.heartbeatsLeftOut);
    result.put("clockMoves", report.clockMoves);
    result.put("dayOf100ClustersRecords", dayOf100);
    result.put("dayOf100ClustersReplaySecondsAtThisRate", Math.round(dayOf100 / rate));
    Path out = Path.of("..", "bench", "results", "whatif.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, new com.fasterxml.jackson.databind.ObjectMapper()
        .writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
    System.out.println("what-if bench: written to " + out.toAbsolutePath().normalize());
    // Every record replayed once; the proposal took the live policy's place, one for one.
    assertThat(report.replayedRecords).isEqualTo(produced);
  }

  /** Whether cluster c's endpoints are down at second s (the 2 minutes after each 10th). */
  private static boolean down(long s, int c, int clusters) {
    return s % 600 < 120 && (int) (s / 600 % clusters) == c;
  }

  private static double round(double seconds) {
    return Math.round(seconds * 10) / 10.0;
  }

  private static void send(KafkaProducer<String, byte[]> producer,
      io.meshfed.topics.ClusterTopic<String, SpecificRecord> events, String cluster,
      Instant at, String key, SpecificRecord value) {
    String topic = events.forCluster(cluster).name();
    producer.send(new ProducerRecord<>(topic, null, at.toEpochMilli(), key,
        events.valueSerde().serializer().serialize(topic, value)));
  }

  private static ClusterHeartbeat heartbeat(String cluster, Instant at) {
    return ClusterHeartbeat.newBuilder().setAgentVersion("bench").setRegion("r-" + cluster)
        .setZones(List.of("r-" + cluster + "a")).setMeshKind(MeshKind.ISTIO).setTime(at)
        .setStartedAt(Bookinfo.CREATED).build();
  }

  private static ServiceSnapshot service(String cluster) {
    return ServiceSnapshot.newBuilder().setNamespace("bookinfo").setName("reviews")
        .setUid("uid-reviews-" + cluster).setCreationTimestamp(Bookinfo.CREATED)
        .setLabels(Map.of("app", "reviews"))
        .setPorts(List.of(new ServicePort("http", 9080, "TCP", null))).build();
  }

  private static EndpointSnapshot endpoints(String cluster, int index, boolean ready) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      endpoints.add(Endpoint.newBuilder()
          .setAddresses(List.of("10." + (index / 250) + "." + (index % 250) + "." + i))
          .setReady(ready).setServing(ready).setTargetName("reviews-" + i).build());
    }
    return EndpointSnapshot.newBuilder().setNamespace("bookinfo").setServiceName("reviews")
        .setPorts(List.of(new EndpointPort("http", 9080, "TCP", null)))
        .setEndpoints(endpoints).build();
  }
}
