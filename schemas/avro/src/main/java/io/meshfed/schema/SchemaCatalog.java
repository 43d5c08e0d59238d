package io.meshfed.schema;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Every top-level record meshfed puts on Kafka, who writes it, and the compatibility rule its
 * subject is held to.
 *
 * <p>Agents are upgraded cluster by cluster, so agent-written records must be readable by old and
 * new topologies and vice versa: FULL_TRANSITIVE. Topology-written records are read by agents of
 * many versions, so an old agent must read what a new topology writes: FORWARD_TRANSITIVE. The
 * topology's own repartition records ({@code io.meshfed.avro.internal}) follow the same rule.
 */
public final class SchemaCatalog {

  /** Who writes a record type. */
  public enum Writer { AGENT, TOPOLOGY }

  /** Compatibility levels, as the Confluent API names them. */
  public enum Compatibility { FULL_TRANSITIVE, FORWARD_TRANSITIVE }

  /** One record type on the wire. */
  public record Entry(Class<? extends SpecificRecord> type, Writer writer) {
    public Schema schema() {
      return SpecificData.get().getSchema(type);
    }

    public String subject() {
      return AvroSerde.subjectFor(schema());
    }

    public Compatibility compatibility() {
      return writer == Writer.AGENT ? Compatibility.FULL_TRANSITIVE
          : Compatibility.FORWARD_TRANSITIVE;
    }
  }

  public static final List<Entry> ENTRIES = List.of(
      new Entry(ServiceSnapshot.class, Writer.AGENT),
      new Entry(EndpointSnapshot.class, Writer.AGENT),
      new Entry(ClusterHeartbeat.class, Writer.AGENT),
      new Entry(PolicyEvent.class, Writer.AGENT),
      new Entry(HealthSignal.class, Writer.AGENT),
      new Entry(ConfigAck.class, Writer.AGENT),
      new Entry(FederatedDestination.class, Writer.TOPOLOGY),
      new Entry(FailoverDecision.class, Writer.TOPOLOGY),
      new Entry(PolicyStatus.class, Writer.TOPOLOGY),
      new Entry(io.meshfed.avro.internal.Removal.class, Writer.TOPOLOGY),
      new Entry(io.meshfed.avro.internal.MemberUpdate.class, Writer.TOPOLOGY),
      new Entry(io.meshfed.avro.internal.AckFrom.class, Writer.TOPOLOGY),
      new Entry(io.meshfed.avro.internal.ControlEvent.class, Writer.TOPOLOGY));

  private SchemaCatalog() {}

  /**
   * Sets each subject's compatibility rule and registers the current schemas. The release
   * pipeline (or the embedded stack) runs this; production writers run with auto-registration
   * off and only find ids.
   */
  public static void registerAll(SchemaRegistryClient registry) {
    for (Entry entry : ENTRIES) {
      registry.setCompatibility(entry.subject(), entry.compatibility().name());
      registry.register(entry.subject(), entry.schema());
    }
  }
}
