package io.meshfed.topology.epochs;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import io.meshfed.topology.state.ClientDecisions;
import io.meshfed.topology.state.Stores;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * A destination's epoch is stored with its clients' decisions; {@code decide-epochs} only holds
 * floors — what a standby's takeover seeded, or what a topology wrote before the epoch moved —
 * and is never written by the topology.
 */
class EpochFloorTopologyTest extends DriverTestBase {

  private static final String DEST = "FailoverService/service-mesh-hub/reviews-failover";

  @Test
  void aSeededFloorIsWhereTheEpochsGoOnAndTheEpochIsStoredWithTheClients() {
    KeyValueStore<String, Long> floors = t.driver().getKeyValueStore(Stores.EPOCHS);
    floors.put(DEST, 41L);

    t.world();

    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).extracting(FailoverDecision::getEpoch).containsExactly(42L, 43L);
    KeyValueStore<String, ClientDecisions> clients =
        t.driver().getKeyValueStore(Stores.DECISIONS);
    assertThat(clients.get(DEST).lastEpoch()).isEqualTo(43);
    assertThat(floors.get(DEST)).as("the floor is read, never written").isEqualTo(41);

    t.send(Bookinfo.MGMT, Bookinfo.reviewsEndpoints(Bookinfo.MGMT, false));
    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getEpoch)
        .containsExactly(44L, 45L);
    assertThat(clients.get(DEST).lastEpoch()).isEqualTo(45);
  }

  @Test
  void aDeletedDestinationKeepsItsEpochAndGoesOnFromItWhenItComesBack() {
    t.world();
    long last = t.decisions().readValuesToList().stream()
        .mapToLong(FailoverDecision::getEpoch).max().orElseThrow();

    t.send(Bookinfo.MGMT, new KeyValue<>(Bookinfo.failoverService("x.global", 1).key, null));
    List<FailoverDecision> retired = t.decisions().readValuesToList();
    assertThat(retired).extracting(FailoverDecision::getEpoch)
        .containsExactly(last + 1, last + 2);
    KeyValueStore<String, ClientDecisions> clients =
        t.driver().getKeyValueStore(Stores.DECISIONS);
    assertThat(clients.get(DEST).byClient()).isEmpty();
    assertThat(clients.get(DEST).lastEpoch()).isEqualTo(last + 2);

    t.send(Bookinfo.MGMT, Bookinfo.failoverService("reviews-failover.bookinfo.global", 2));
    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getEpoch)
        .containsExactly(last + 3, last + 4);
  }
}
