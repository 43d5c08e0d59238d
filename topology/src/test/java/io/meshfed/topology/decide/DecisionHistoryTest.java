package io.meshfed.topology.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.TrafficSplit;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.state.DecisionChunk;
import io.meshfed.topology.state.Stores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * The queryable decision history keeps at least a destination's last 100 decisions and at most
 * 100 + {@link DecisionChunk#MAX} − 1, whatever the sizes of the evaluations that made them —
 * including after a new task reloads it — and stores an evaluation's decisions as a few chunks.
 */
class DecisionHistoryTest {

  private static final String DEST = "FailoverService/bookinfo/reviews-failover";
  private static final String OTHER = "FailoverService/bookinfo/ratings-failover";
  private static final int KEEP = Stores.DECISION_LOG_KEEP;

  /** Avro binary of the record alone: the registry's framing is not what is tested here. */
  private static final Serde<FailoverDecision> AVRO = Serdes.serdeFrom(
      (topic, d) -> {
        try {
          ByteBuffer b = d.toByteBuffer();
          byte[] out = new byte[b.remaining()];
          b.get(out);
          return out;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      },
      (topic, bytes) -> {
        try {
          return FailoverDecision.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });

  private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
  private final KeyValueStore<String, DecisionChunk> store = store();

  @Test
  void randomEvaluationSizesKeepTheLastHundredAndNoMoreThanAChunkBeyond() {
    Random random = new Random(13);
    DecisionHistory history = new DecisionHistory(store);
    long epoch = 0;
    for (int evaluation = 0; evaluation < 400; evaluation++) {
      // Mostly small evaluations, sometimes a fan-out to hundreds of clients.
      int size = random.nextInt(10) == 0 ? 1 + random.nextInt(300) : 1 + random.nextInt(4);
      List<FailoverDecision> made = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        made.add(decision(DEST, ++epoch));
      }
      history.append(DEST, made);
      history.append(OTHER, List.of(decision(OTHER, evaluation + 1)));
      if (evaluation % 50 == 49) {
        history = new DecisionHistory(store); // a new task over the same store
      }
      List<Long> kept = epochs(DEST);
      long newest = epoch;
      assertThat(kept).as("after evaluation %d (%d decisions)", evaluation, size)
          .contains(java.util.stream.LongStream.rangeClosed(Math.max(1, newest - KEEP + 1), newest)
              .boxed().toArray(Long[]::new))
          .doesNotHaveDuplicates()
          .hasSizeLessThanOrEqualTo(KEEP + DecisionChunk.MAX - 1);
    }
    assertThat(epochs(OTHER)).hasSize(KEEP).contains(400L, 301L).doesNotContain(300L);
  }

  @Test
  void aFanOutToAHundredClientsIsFourRecords() {
    List<FailoverDecision> made = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      made.add(decision(DEST, i));
    }
    new DecisionHistory(store).append(DEST, made);
    assertThat(count()).isEqualTo(4); // ceil(100 / 32)
    assertThat(epochs(DEST)).hasSize(100);
  }

  @Test
  void anUnreadableChunkIsABoundedSerializationError() {
    Serde<DecisionChunk> serde = DecisionChunk.serde(AVRO);
    byte[] good = serde.serializer().serialize("t",
        new DecisionChunk(List.of(decision(DEST, 1), decision(DEST, 2))));
    assertThat(serde.deserializer().deserialize("t", good).decisions())
        .extracting(FailoverDecision::getEpoch).containsExactly(1L, 2L);

    ByteBuffer lying = ByteBuffer.allocate(16);
    lying.put((byte) 1); // the format
    org.apache.kafka.common.utils.ByteUtils.writeVarint(1, lying); // one decision
    org.apache.kafka.common.utils.ByteUtils.writeVarint(1 << 30, lying); // of a GiB
    lying.put(new byte[] {1, 2, 3});
    byte[] claimsTooMuch = java.util.Arrays.copyOf(lying.array(), lying.position());
    assertThatThrownBy(() -> serde.deserializer().deserialize("t", claimsTooMuch))
        .isInstanceOf(SerializationException.class).hasMessageContaining("claims");
    assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {9}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("format");
  }

  private static FailoverDecision decision(String destination, long epoch) {
    String[] parts = destination.split("/");
    return FailoverDecision.newBuilder()
        .setDestination(new ResourceRef(ResourceKind.valueOf(parts[0]), parts[1], parts[2]))
        .setClientCluster("client-" + (epoch % 7)).setEpoch(epoch)
        .setBefore(new TrafficSplit(0, List.of(100, 0)))
        .setAfter(new TrafficSplit(1, List.of(0, 100)))
        .setReasonCode(ReasonCode.TIER_UNHEALTHY).setReason("tier 0 has no healthy endpoint")
        .setPolicyGeneration(1).setTime(Instant.parse("2026-12-02T00:00:00Z")).build();
  }

  private List<Long> epochs(String destination) {
    List<Long> epochs = new ArrayList<>();
    try (KeyValueIterator<String, DecisionChunk> it =
        store.prefixScan(RoutingKeys.prefix(destination),
            new org.apache.kafka.common.serialization.StringSerializer())) {
      it.forEachRemaining(kv -> kv.value.decisions().forEach(d -> epochs.add(d.getEpoch())));
    }
    return epochs;
  }

  private int count() {
    int n = 0;
    try (KeyValueIterator<String, DecisionChunk> all = store.all()) {
      while (all.hasNext()) {
        all.next();
        n++;
      }
    }
    return n;
  }

  private KeyValueStore<String, DecisionChunk> store() {
    KeyValueStore<String, DecisionChunk> s = org.apache.kafka.streams.state.Stores
        .keyValueStoreBuilder(org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(
            Stores.DECISION_LOG), Serdes.String(), DecisionChunk.serde(AVRO))
        .withLoggingDisabled().build();
    s.init(context.getStateStoreContext(), s);
    context.addStateStore(s);
    return s;
  }
}
