package io.meshfed.topology.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.SharedSchemaRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The config topics' serde copies a fan-out's shared bytes instead of encoding them again: the
 * result must be the real serde's (registry wire format + Avro), byte for byte, whatever the
 * fan-out — checked against {@link AvroSerde} on the test JVM's real registry.
 */
class FanOutSerdeTest {

  private static AvroSerde<SpecificRecord> avro;

  @BeforeAll
  static void registry() {
    avro = AvroSerde.anyRecord(new SchemaRegistryClient(
        RegistryConfig.of(SharedSchemaRegistry.get().confluentApiUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT)));
  }

  @Test
  void theSchemaHasTheLayoutThatIsSpliced() {
    // If FederatedDestination's fields change order or type, splicing turns itself off; this
    // says so here instead of silently costing the encoding again.
    assertThat(FanOutSerde.SPLICES).isTrue();
  }

  @Test
  void anotherLayoutIsNotSpliced() {
    Schema reordered = SchemaBuilder.record("FederatedDestination").fields()
        .requiredString("clientCluster").requiredLong("epoch").endRecord();
    assertThat(FanOutSerde.layoutMatches(reordered)).isFalse();
  }

  @Test
  void randomFanOutsEncodeExactlyAsTheAvroSerdeDoes() {
    Random random = new Random(20261202);
    Serializer<SpecificRecord> spliced = FanOutSerde.of(avro).serializer();
    Serializer<SpecificRecord> whole = avro.serializer();
    int records = 0;
    for (int round = 0; round < 200; round++) {
      // An evaluation: up to 4 distinct shared parts, sent to up to 120 clients, interleaved.
      int distinct = 1 + random.nextInt(4);
      List<Shared> parts = new ArrayList<>();
      for (int i = 0; i < distinct; i++) {
        parts.add(shared(random));
      }
      int clients = 1 + random.nextInt(120);
      for (int c = 0; c < clients; c++) {
        FederatedDestination d = forClient(parts.get(random.nextInt(distinct)), random, c);
        byte[] expected = whole.serialize("meshfed.cluster.c" + c + ".config", d);
        byte[] actual = spliced.serialize("meshfed.cluster.c" + c + ".config", d);
        assertThat(actual).as("round %d client %d", round, c).isEqualTo(expected);
        assertThat(avro.deserialize("t", actual)).isEqualTo(d);
        records++;
      }
    }
    assertThat(records).isGreaterThan(5_000);
  }

  @Test
  void equalButSeparateSharedPartsAndOtherRecordsAreEncodedWhole() {
    Random random = new Random(7);
    Serializer<SpecificRecord> spliced = FanOutSerde.of(avro).serializer();
    Shared a = shared(random);
    FederatedDestination first = forClient(a, random, 1);
    FederatedDestination copy = FederatedDestination.newBuilder(first).build(); // deep copy
    copy.setClientCluster("other");
    assertThat(spliced.serialize("t", first)).isEqualTo(avro.serialize("t", first));
    assertThat(spliced.serialize("t", copy)).isEqualTo(avro.serialize("t", copy));
    PolicyStatus status = PolicyStatus.newBuilder()
        .setResource(first.getDestination()).setUid("u").setObservedGeneration(1)
        .setState(ResourceState.ACCEPTED).setValidationErrors(List.of()).setWarnings(List.of())
        .setClusters(List.of()).setTime(Instant.ofEpochMilli(5)).build();
    assertThat(spliced.serialize("t", status)).isEqualTo(avro.serialize("t", status));
    assertThat(spliced.serialize("t", null)).isNull();
  }

  /** The parts of a config all of an evaluation's clients share, as ConfigFanOut builds them. */
  private record Shared(ResourceRef destination, List<String> hosts,
      List<DestinationPort> ports, List<DestinationTier> tiers, int activeTier,
      OutlierDetection outlier) {}

  private static Shared shared(Random random) {
    List<DestinationTier> tiers = new ArrayList<>();
    int tierCount = 1 + random.nextInt(4);
    for (int t = 0; t < tierCount; t++) {
      List<WeightedEndpoint> endpoints = new ArrayList<>();
      int n = random.nextInt(40);
      for (int e = 0; e < n; e++) {
        endpoints.add(WeightedEndpoint.newBuilder()
            .setAddress("10." + t + "." + (e / 250) + "." + (e % 250)).setPort(9080)
            .setWeight(random.nextInt(1_000_000_000)).setCluster("cluster-" + t)
            .setNamespace("ns").setService("svc-" + random.nextInt(3))
            .setZone(random.nextBoolean() ? "zone-" + random.nextInt(3) : null)
            .setRegion(random.nextBoolean() ? "r" : null)
            .setHealth(EndpointHealth.values()[random.nextInt(EndpointHealth.values().length)])
            .setPorts(random.nextBoolean() ? List.of() : List.of(9080, 15000 + e))
            .build());
      }
      tiers.add(new DestinationTier(t, random.nextInt(101), List.of(), List.copyOf(endpoints)));
    }
    return new Shared(new ResourceRef(ResourceKind.FailoverService, "ns",
        "dest-" + random.nextInt(1000)), List.of("h" + random.nextInt(9) + ".global"),
        List.of(new DestinationPort(9080, "HTTP", 9080)), List.copyOf(tiers),
        random.nextInt(tierCount + 1) - 1, new OutlierDetection(5, 10_000L, 30_000L, 100));
  }

  private static FederatedDestination forClient(Shared s, Random random, int client) {
    FederatedDestination d = new FederatedDestination();
    d.setDestination(new ResourceRef(s.destination().getKind(), s.destination().getNamespace(),
        s.destination().getName()));
    d.setClientCluster("client-" + client + "-" + "x".repeat(random.nextInt(200)));
    d.setHosts(s.hosts());
    d.setPorts(s.ports());
    d.setTiers(s.tiers());
    d.setActiveTier(s.activeTier());
    d.setOutlierDetection(s.outlier());
    d.setEpoch(random.nextBoolean() ? random.nextInt(100) : random.nextLong());
    d.setPolicyGeneration(random.nextInt(1 << 20));
    d.setTime(Instant.ofEpochMilli(random.nextLong() >>> 20));
    d.setClientMode(io.meshfed.avro.ClientMode.values()[
        random.nextInt(io.meshfed.avro.ClientMode.values().length)]);
    return d;
  }
}
