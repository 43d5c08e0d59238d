package io.meshfed.connectors.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.SharedSchemaRegistry;
import java.nio.ByteBuffer;
import org.apache.avro.specific.SpecificRecord;

/**
 * The test JVM's shared Apicurio registry, as the connector task tests use it: its URL for a
 * task's {@code registry.url}, and a reader that checks what a task wrote against it.
 */
public final class RealRegistry {

  /**
   * A client of its own, not the task's: nothing the task cached can make a record decode. It
   * never registers, so a schema the task did not register is not found.
   */
  private final SchemaRegistryClient client = new SchemaRegistryClient(
      RegistryConfig.of(url()).withAutoRegister(false));
  private final AvroSerde<SpecificRecord> serde = AvroSerde.anyRecord(client);

  /** The Confluent-compatible API root of the shared registry (started on first use). */
  public static String url() {
    return SharedSchemaRegistry.get().confluentApiUrl();
  }

  /**
   * The record in {@code value} (Confluent wire format), after checking that its schema id is
   * the one the registry holds for the record's schema under its record-name subject.
   */
  public SpecificRecord decode(String topic, byte[] value) {
    SpecificRecord record = serde.deserialize(topic, value);
    int writtenId = ByteBuffer.wrap(value, 1, 4).getInt();
    assertThat(writtenId).as("schema id in the record of %s", record.getSchema().getFullName())
        .isEqualTo(client.idFor(AvroSerde.subjectFor(record.getSchema()), record.getSchema()));
    return record;
  }
}
