package io.meshfed.topology.decide;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.topology.state.ClientDecision;
import io.meshfed.topology.state.FanOutSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an evaluation's {@link FederatedDestination}s so that clients whose configs are equal
 * but for the client's name and epoch share one Avro copy of the hosts, ports, tiers and outlier
 * settings — built once, and encoded once by {@link FanOutSerde}, which recognises the shared
 * instances. In a zone outage an evaluation sends the same tiers to each of 100 client
 * clusters; building and encoding them per client was a third of the stream thread's time.
 *
 * <p>One instance per decide processor; {@link #reset} at the start of each evaluation, so what
 * it holds is at most one evaluation's distinct configs.
 */
final class ConfigFanOut {

  private record Known(DesiredConfig key, int hash, AvroMapping.SharedConfig shared) {}

  private final List<Known> known = new ArrayList<>();

  void reset() {
    known.clear();
  }

  FederatedDestination federatedDestination(DesiredConfig config, Instant time) {
    // Usually the clients' configs hold the same tiers instance (WeightsMemo): then the small
    // fields decide, without hashing every endpoint.
    for (Known k : known) {
      if (k.key.tiers() == config.tiers() && k.key.activeTier() == config.activeTier()
          && k.key.generation() == config.generation()
          && k.key.destination().equals(config.destination())
          && k.key.hosts().equals(config.hosts()) && k.key.ports().equals(config.ports())
          && java.util.Objects.equals(k.key.outlier(), config.outlier())) {
        return AvroMapping.federatedDestination(config, k.shared, time);
      }
    }
    DesiredConfig key = ClientDecision.shared(config);
    int hash = key.hashCode();
    for (Known k : known) {
      if (k.hash == hash && k.key.equals(key)) {
        return AvroMapping.federatedDestination(config, k.shared, time);
      }
    }
    AvroMapping.SharedConfig shared = AvroMapping.shared(config);
    known.add(new Known(key, hash, shared));
    return AvroMapping.federatedDestination(config, shared, time);
  }
}
