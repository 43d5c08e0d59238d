package io.meshfed.topology.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/** A value serialized twice in a row (store, then topic) is encoded once. */
class EncodeOnceTest {

  private final List<String> encoded = new ArrayList<>();
  private final Serde<StringBuilder> counting = Serdes.serdeFrom(
      (topic, value) -> {
        encoded.add(String.valueOf(value));
        return value == null ? null : value.toString().getBytes(StandardCharsets.UTF_8);
      },
      (topic, bytes) -> bytes == null ? null
          : new StringBuilder(new String(bytes, StandardCharsets.UTF_8)));

  @Test
  void theSameInstanceThroughTwoSerializersIsEncodedOnce() {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    Serializer<StringBuilder> store = serde.serializer();
    Serializer<StringBuilder> sink = serde.serializer();
    StringBuilder decision = new StringBuilder("epoch 7");

    byte[] first = store.serialize("decide-decision-log-changelog", decision);
    byte[] second = sink.serialize("meshfed.failover-events", decision);

    assertThat(second).isSameAs(first);
    assertThat(encoded).containsExactly("epoch 7");
  }

  @Test
  void aHundredDecisionsSentAndThenStoredTogetherAreEachEncodedOnce() {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    List<StringBuilder> fanOut = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      fanOut.add(new StringBuilder("decision " + i));
      serde.serializer().serialize("meshfed.failover-events", fanOut.get(i));
    }
    for (StringBuilder decision : fanOut) { // the history's chunks, after the sends
      serde.serializer().serialize("decide-decision-history-changelog", decision);
    }
    assertThat(encoded).hasSize(100);
  }

  @Test
  void anEqualButDifferentInstanceIsEncodedAgainAndNullsPassThrough() {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    Serializer<StringBuilder> serializer = serde.serializer();
    serializer.serialize("t", new StringBuilder("a"));
    serializer.serialize("t", new StringBuilder("a"));
    assertThat(serializer.serialize("t", null)).isNull();
    serializer.serialize("t", new StringBuilder("b"));
    assertThat(encoded).containsExactly("a", "a", "null", "b");
  }

  @Test
  void eachThreadRemembersOnlyItsOwnLastValue() throws Exception {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    StringBuilder shared = new StringBuilder("x");
    serde.serializer().serialize("t", shared);
    Thread other = new Thread(() -> serde.serializer().serialize("t", shared));
    other.start();
    other.join();
    assertThat(encoded).containsExactly("x", "x");
  }

  @Test
  void aPrimedValueTravelsAsTheBytesItWasDecodedFrom() {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    byte[] agentBytes = "as the agent wrote it".getBytes(StandardCharsets.UTF_8);
    StringBuilder decoded = new StringBuilder("decoded");
    serde.prime(decoded, agentBytes);

    assertThat(serde.serializer().serialize("by-service", decoded)).isSameAs(agentBytes);
    assertThat(encoded).isEmpty();
    assertThat(serde.serializer().serialize("by-service", new StringBuilder("other")))
        .isEqualTo("other".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void whatItDecodesIsStoredAsTheSameBytesEvenAfterReadingAnotherValue() {
    EncodeOnce<StringBuilder> serde = EncodeOnce.of(counting);
    byte[] incomingBytes = "incoming".getBytes(StandardCharsets.UTF_8);
    StringBuilder incoming = serde.deserializer().deserialize("by-service", incomingBytes);
    // The select stage reads the stored copy to compare before it stores the new one.
    serde.deserializer().deserialize("store", "stored".getBytes(StandardCharsets.UTF_8));

    assertThat(serde.serializer().serialize("store", incoming)).isSameAs(incomingBytes);
    assertThat(encoded).isEmpty();
  }
}
