package io.meshfed.topology;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.internal.AckFrom;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.health.OutlierState;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.decide.DecideProcessor;
import io.meshfed.topology.decide.DestinationPartitioner;
import static io.meshfed.topology.commit.CommitOnDrain.counting;
import static io.meshfed.topology.faults.GuardedProcessor.guard;
import io.meshfed.topology.faults.SizeLimitedSerde;
import io.meshfed.topology.ingest.IngestProcessor;
import io.meshfed.topology.select.SelectProcessor;
import io.meshfed.topology.state.ClientDecisions;
import io.meshfed.topology.state.DecisionChunk;
import io.meshfed.topology.state.EncodeOnce;
import io.meshfed.topology.state.FanOutSerde;
import io.meshfed.topology.state.JsonSerde;
import io.meshfed.topology.state.KnownCluster;
import io.meshfed.topology.state.Stores;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The meshfed topology as a pure function of its config: {@code build(config, registry)} wires
 * sources, the three stages and the sinks, and does no I/O. {@link TopologyMain} runs it; the
 * tests feed the same topology.
 *
 * <pre>
 *  meshfed.cluster.*.events ─▶ ingest ─┬─▶ services on their own partition ───┐
 *                                     ├─▶ [by-service] (the others) ──────────┤
 *                                     ├─▶ [selectors, broadcast] ─────────────┴▶ select ─▶ [by-destination] ───┐
 *                                     ├─▶ [acks, by destination] ──────────────────────────────────────────────┤
 *                                     ├─▶ [control, broadcast] ────────────────────────────────────────────────┴▶ decide
 *                                     └─▶ rejected policy status ─▶ meshfed.cluster.&lt;c&gt;.config                 │
 *   meshfed.cluster.&lt;client&gt;.config ◀─ FederatedDestination / PolicyStatus ◀───────────────────────────────────┤
 *   meshfed.failover-events        ◀─ FailoverDecision ◀───────────────────────────────────────────────────────┘
 * </pre>
 *
 * See {@code topology/DESIGN.md} for why it is partitioned this way.
 */
public final class MeshfedTopology {

  private MeshfedTopology() {}

  /**
   * Where the state stores keep their state. The live topology's are {@link #PERSISTENT}
   * (RocksDB, logged to changelogs and restored from them). {@link #IN_MEMORY} stores are in
   * the heap and not logged, for a run that starts empty and whose state is thrown away at the
   * end — the what-if replay, where RocksDB's writes and the changelog offsets' bookkeeping on
   * every commit of a TopologyTestDriver were most of the time (whatif/DESIGN.md, "Speed").
   */
  public enum StoreKind {
    PERSISTENT, IN_MEMORY;

    <V> StoreBuilder<?> builder(String name, Serde<String> keys, Serde<V> values) {
      if (this == PERSISTENT) {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
            org.apache.kafka.streams.state.Stores.persistentKeyValueStore(name), keys, values);
      }
      return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
          org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name), keys, values)
          .withLoggingDisabled();
    }
  }

  public static Topology build(TopologyConfig config, SchemaRegistryClient registry) {
    return build(config, registry, StoreKind.PERSISTENT);
  }

  public static Topology build(TopologyConfig config, SchemaRegistryClient registry,
      StoreKind storeKind) {
    MeshfedTopics topics = new MeshfedTopics(registry);
    // Every value the topology writes — repartitions, outputs, stores — is size-checked before
    // anything is sent (see SizeLimitedSerde).
    Serde<SpecificRecord> avro = SizeLimitedSerde.of(AvroSerde.anyRecord(registry));
    Serde<String> strings = Serdes.String();
    StreamsBuilder builder = new StreamsBuilder();

    // An agent's snapshot that ingest checked and forwards unchanged goes on to the select stage
    // as the agent's own bytes, not encoded again (EncodeOnce#prime),
    // and the select stage stores it as those bytes.
    EncodeOnce<SpecificRecord> agentBytes = EncodeOnce.of(AvroSerde.anyRecord(registry));
    Serde<SpecificRecord> byServiceValues = SizeLimitedSerde.of(agentBytes);
    // One serde for the decision-log store and meshfed.failover-events: a decision is encoded
    // once for both (EncodeOnce).
    Serde<io.meshfed.avro.FailoverDecision> decisions =
        EncodeOnce.of(SizeLimitedSerde.of(topics.failoverEvents().valueSerde()));
    // The config topics' records of one evaluation share their tiers: encoded once (FanOutSerde).
    Serde<SpecificRecord> configs =
        SizeLimitedSerde.of(FanOutSerde.of(AvroSerde.anyRecord(registry)));
    for (Function<StoreKind, StoreBuilder<?>> store : stores(avro, byServiceValues, decisions,
        strings)) {
      builder.addStateStore(store.apply(storeKind));
    }

    int partitions = config.partitions();
    KStream<String, SpecificRecord> ingested = builder
        .stream(topics.clusterEvents().pattern(),
            Consumed.with(strings, Serdes.ByteArray()).withName("cluster-events"))
        .process(counting(guard(() -> new IngestProcessor(topics.clusterEvents(),
            config.policySourceClusters(), partitions, agentBytes::prime)),
            config.exactlyOnce()), Named.as("ingest"));

    Map<String, KStream<String, SpecificRecord>> routes = ingested.split(Named.as("route-"))
        .branch((k, v) -> v instanceof ControlEvent, Branched.as("control"))
        .branch((k, v) -> v instanceof AckFrom, Branched.as("acks"))
        .branch((k, v) -> v instanceof PolicyStatus, Branched.as("rejected"))
        .branch((k, v) -> RoutingKeys.isUnplaced(k), Branched.as("unplaced"))
        .defaultBranch(Branched.as("services"));

    // Ingest and select are one sub-topology: a service's records read from its own partition
    // (EventPartitioner) go to the select stage in the task that read them; the others reach
    // the same task through the by-service repartition, which this sub-topology also reads.
    KStream<String, SpecificRecord> byService = routes.get("route-unplaced")
        .selectKey((k, v) -> RoutingKeys.placed(k), Named.as("unplaced-by-service"))
        .repartition(Repartitioned.<String, SpecificRecord>as("by-service")
            .withKeySerde(strings).withValueSerde(byServiceValues)
            .withNumberOfPartitions(partitions));
    KStream<String, SpecificRecord> selectors = routes.get("route-control")
        .filter((k, v) -> !(((ControlEvent) v).getEvent() instanceof ClusterHeartbeat),
            Named.as("destination-and-policy-events"))
        .repartition(Repartitioned.<String, SpecificRecord>as("selectors")
            .withKeySerde(strings).withValueSerde(avro).withNumberOfPartitions(partitions)
            .withStreamPartitioner(DestinationPartitioner.broadcast()));
    KStream<String, SpecificRecord> memberUpdates = routes.get("route-services")
        .merge(byService, Named.as("placed-and-repartitioned-services"))
        .merge(selectors, Named.as("select-inputs"))
        // Ingest counted the events it forwards here; select counts what it reads itself, its
        // two repartition topics (a suffix test: this runs for every record of the stage).
        .process(counting(guard(SelectProcessor::new), config.exactlyOnce(),
            topic -> topic.endsWith("-repartition")), Named.as("select"),
            Stores.SERVICES, Stores.ENDPOINTS, Stores.SELECTORS, Stores.MEMBERSHIPS)
        .repartition(Repartitioned.<String, SpecificRecord>as("by-destination")
            .withKeySerde(strings).withValueSerde(avro).withNumberOfPartitions(partitions)
            .withStreamPartitioner(DestinationPartitioner.byKey()));
    KStream<String, SpecificRecord> acks = routes.get("route-acks")
        .repartition(Repartitioned.<String, SpecificRecord>as("acks")
            .withKeySerde(strings).withValueSerde(avro).withNumberOfPartitions(partitions)
            .withStreamPartitioner(DestinationPartitioner.byKey()));
    KStream<String, SpecificRecord> control = routes.get("route-control")
        .repartition(Repartitioned.<String, SpecificRecord>as("control")
            .withKeySerde(strings).withValueSerde(avro).withNumberOfPartitions(partitions)
            .withStreamPartitioner(DestinationPartitioner.broadcast()));

    KStream<String, SpecificRecord> outputs = memberUpdates
        .merge(acks, Named.as("decide-inputs-acks"))
        .merge(control, Named.as("decide-inputs"))
        .process(counting(guard(() -> new DecideProcessor(config)), config.exactlyOnce()), Named.as("decide"),
            Stores.DESTINATIONS, Stores.POLICIES, Stores.CLUSTERS, Stores.MEMBER_SERVICES,
            Stores.MEMBER_ENDPOINTS, Stores.OUTLIERS, Stores.DECISIONS, Stores.DECISION_CONFIGS,
            Stores.EPOCHS, Stores.DECISION_LOG, Stores.ACKS, Stores.STATUSES, Stores.WAKEUPS,
            Stores.HANDOVERS);

    outputs.filter((k, v) -> v instanceof io.meshfed.avro.FailoverDecision,
            Named.as("decisions-only"))
        .mapValues(v -> (io.meshfed.avro.FailoverDecision) v, Named.as("as-decision"))
        .to(topics.failoverEvents().name(), Produced.with(strings, decisions)
            .withName("failover-events"));
    outputs.filter((k, v) -> !(v instanceof io.meshfed.avro.FailoverDecision),
            Named.as("config-only"))
        .to(new ConfigTopicByHeader(topics),
            Produced.with(strings, configs).withName("cluster-config"));
    routes.get("route-rejected")
        .to(new ConfigTopicByHeader(topics),
            Produced.with(strings, avro).withName("rejected-policy-status"));
    return builder.build();
  }

  /** The config topic of the cluster named in the record's target-cluster header. */
  private record ConfigTopicByHeader(MeshfedTopics topics)
      implements TopicNameExtractor<String, SpecificRecord> {
    @Override
    public String extract(String key, SpecificRecord value, RecordContext context) {
      Header header = context.headers().lastHeader(IngestProcessor.TARGET_CLUSTER_HEADER);
      if (header == null) {
        throw new IllegalStateException("output record without a target cluster header");
      }
      return topics.clusterConfig()
          .forCluster(new String(header.value(), StandardCharsets.UTF_8)).name();
    }

    @Override
    public String toString() {
      return "meshfed.cluster.<" + IngestProcessor.TARGET_CLUSTER_HEADER + ">.config";
    }
  }

  private static java.util.List<Function<StoreKind, StoreBuilder<?>>> stores(
      Serde<SpecificRecord> avro,
      Serde<SpecificRecord> agentBytes, Serde<io.meshfed.avro.FailoverDecision> decisions,
      Serde<String> strings) {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.ServiceSnapshot> services = (Serde) avro;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.EndpointSnapshot> endpoints = (Serde) avro;
    // The select stage stores the snapshots it decoded as the bytes they came in (EncodeOnce).
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.ServiceSnapshot> agentServices = (Serde) agentBytes;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.EndpointSnapshot> agentEndpoints = (Serde) agentBytes;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.PolicyEvent> policyEvents = (Serde) avro;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<ControlEvent> controls = (Serde) avro;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<io.meshfed.avro.ConfigAck> configAcks = (Serde) avro;
    @SuppressWarnings({"unchecked", "rawtypes"})
    Serde<PolicyStatus> policyStatuses = (Serde) avro;
    return java.util.List.of(
        store(Stores.SERVICES, strings, agentServices),
        store(Stores.ENDPOINTS, strings, agentEndpoints),
        store(Stores.SELECTORS, strings, policyEvents),
        store(Stores.MEMBERSHIPS, strings, strings),
        store(Stores.DESTINATIONS, strings, controls),
        store(Stores.POLICIES, strings, controls),
        store(Stores.CLUSTERS, strings, SizeLimitedSerde.of(new JsonSerde<>(KnownCluster.class))),
        store(Stores.MEMBER_SERVICES, strings, services),
        store(Stores.MEMBER_ENDPOINTS, strings, endpoints),
        store(Stores.OUTLIERS, strings, SizeLimitedSerde.of(new JsonSerde<>(OutlierState.class))),
        store(Stores.DECISIONS, strings,
            SizeLimitedSerde.of(new JsonSerde<>(ClientDecisions.class))),
        store(Stores.DECISION_CONFIGS, strings,
            SizeLimitedSerde.of(new JsonSerde<>(DesiredConfig.class))),
        store(Stores.EPOCHS, strings, Serdes.Long()),
        store(Stores.DECISION_LOG, strings, SizeLimitedSerde.of(DecisionChunk.serde(decisions))),
        store(Stores.ACKS, strings, configAcks),
        store(Stores.STATUSES, strings, policyStatuses),
        store(Stores.WAKEUPS, strings, Serdes.Long()),
        store(Stores.HANDOVERS, strings, Serdes.Long()));
  }

  /** A store of the given name and serdes, of whichever kind the topology is built with. */
  private static <V> Function<StoreKind, StoreBuilder<?>> store(String name, Serde<String> keys,
      Serde<V> values) {
    return kind -> kind.builder(name, keys, values);
  }
}
