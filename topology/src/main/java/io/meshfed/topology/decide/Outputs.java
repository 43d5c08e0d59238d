package io.meshfed.topology.decide;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.ingest.IngestProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What the decide stage sends: records for a cluster's config topic (FederatedDestination,
 * PolicyStatus, or a tombstone), named by the target-cluster header the sink reads, and
 * FailoverDecisions for the decision log topic.
 */
final class Outputs {

  /** Header saying which output an emitted record is for: {@code config} or {@code decision}. */
  static final String OUTPUT_HEADER = "meshfed.output";
  private static final byte[] CONFIG = "config".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DECISION = "decision".getBytes(StandardCharsets.UTF_8);

  private final ProcessorContext<String, SpecificRecord> context;

  Outputs(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  /** A record (null: tombstone) for {@code cluster}'s config topic. */
  void config(String cluster, String key, SpecificRecord value, Instant now) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(OUTPUT_HEADER, CONFIG);
    headers.add(IngestProcessor.TARGET_CLUSTER_HEADER, cluster.getBytes(StandardCharsets.UTF_8));
    context.forward(new Record<>(key, value, now.toEpochMilli(), headers));
  }

  void decision(FailoverDecision decision, Instant now) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(OUTPUT_HEADER, DECISION);
    context.forward(new Record<>(RoutingKeys.decisionKey(decision.getDestination(),
        decision.getClientCluster()), decision, now.toEpochMilli(), headers));
  }
}
