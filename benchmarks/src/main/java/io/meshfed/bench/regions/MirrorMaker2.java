package io.meshfed.bench.regions;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.connect.mirror.MirrorMaker;

/**
 * A real MirrorMaker 2 (Kafka's {@code connect-mirror}, the dedicated-mode {@link MirrorMaker}
 * driver, in this JVM) between a hub region's Kafka and a standby region's, as
 * {@code infra/terraform/} configures it ({@code IdentityReplicationPolicy}, from
 * {@code connect-mirror-client}): identity replication (a topic keeps its name, so the
 * topology's pattern {@code meshfed.cluster.*.events} and "the cluster comes from the topic
 * name" work on mirrored topics unchanged), and each topic flowing one way only, so nothing
 * loops back.
 *
 * <p>The intervals are short, as a test or a benchmark needs them: a topic created after the
 * start is found within a second, not the default ten minutes. Heartbeats, checkpoints and group
 * offset sync are off: meshfed's consumers read from offsets of their own region, never
 * translated ones (the agent has no group; a standby topology starts a group of its own).
 */
public final class MirrorMaker2 implements AutoCloseable {

  /** The cluster aliases MM2 knows the regions by; they name its internal topics. */
  public static final String HUB = "hub";
  public static final String STANDBY = "standby";

  private final MirrorMaker mirrorMaker;

  private MirrorMaker2(MirrorMaker mirrorMaker) {
    this.mirrorMaker = mirrorMaker;
  }

  /**
   * Starts MM2 carrying {@code hubToStandby} from the hub to the standby and
   * {@code standbyToHub} back (exact topic names; a topic created later is picked up).
   */
  public static MirrorMaker2 start(String hubBootstrap, String standbyBootstrap,
      List<String> hubToStandby, List<String> standbyToHub) {
    MirrorMaker mm = new MirrorMaker(config(hubBootstrap, standbyBootstrap, hubToStandby,
        standbyToHub), List.of(HUB, STANDBY));
    mm.start();
    return new MirrorMaker2(mm);
  }

  static Map<String, String> config(String hubBootstrap, String standbyBootstrap,
      List<String> hubToStandby, List<String> standbyToHub) {
    Map<String, String> p = new HashMap<>();
    p.put("clusters", HUB + "," + STANDBY);
    p.put(HUB + ".bootstrap.servers", hubBootstrap);
    p.put(STANDBY + ".bootstrap.servers", standbyBootstrap);
    flow(p, HUB, STANDBY, hubToStandby);
    flow(p, STANDBY, HUB, standbyToHub);
    p.put("replication.policy.class", "org.apache.kafka.connect.mirror.IdentityReplicationPolicy");
    // One broker per region here; a real deployment keeps the defaults (3).
    for (String rf : List.of("replication.factor", "checkpoints.topic.replication.factor",
        "heartbeats.topic.replication.factor", "offset-syncs.topic.replication.factor",
        "config.storage.replication.factor", "offset.storage.replication.factor",
        "status.storage.replication.factor")) {
      p.put(rf, "1");
    }
    // With both off, MM2 logs that MirrorCheckpointConnector's config is invalid and does not
    // run it: wanted, nothing here reads translated offsets.
    p.put("emit.heartbeats.enabled", "false");
    p.put("emit.checkpoints.enabled", "false");
    p.put("sync.group.offsets.enabled", "false");
    // ACL sync needs an authorizer on the source; meshfed's ACLs are per region anyway.
    p.put("sync.topic.acls.enabled", "false");
    // Topic configs are the provisioner's in each region (compaction of config topics).
    p.put("sync.topic.configs.enabled", "false");
    p.put("refresh.topics.interval.seconds", "1");
    p.put("refresh.groups.interval.seconds", "600");
    p.put("offset.flush.interval.ms", "1000");
    // Plugins from their ServiceLoader manifests only (Kafka's own connectors, converters and
    // policies have them), as the connectors' test worker finds them: the default also scans
    // every class of the classpath, once per herder (two here): about 10 s of this JVM's CPU
    // per start on this module's classpath (benchmarks DESIGN, mirrored). Per cluster, because
    // MM2 builds each herder's worker config from the settings of its target cluster.
    for (String cluster : List.of(HUB, STANDBY)) {
      p.put(cluster + ".plugin.discovery", "service_load");
    }
    return p;
  }

  private static void flow(Map<String, String> p, String source, String target,
      List<String> topics) {
    String flow = source + "->" + target;
    p.put(flow + ".enabled", String.valueOf(!topics.isEmpty()));
    p.put(flow + ".topics", topics.isEmpty() ? "-"
        : topics.stream().map(Pattern::quote).collect(Collectors.joining("|")));
    // The topology writes config topics and the decision log in transactions: only committed
    // records may cross, or an aborted decision would be applied in the other region.
    p.put(flow + ".consumer.isolation.level", "read_committed");
    // A flip's latency includes this hop: forward records as they come, not in 500 ms polls.
    p.put(flow + ".consumer.fetch.max.wait.ms", "20");
    p.put(flow + ".producer.linger.ms", "0");
  }

  @Override
  public void close() {
    mirrorMaker.stop();
    mirrorMaker.awaitStop();
  }
}
