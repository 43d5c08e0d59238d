package io.meshfed.topology.faults;

import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;

/**
 * Kafka Streams' own clients, with each transactional producer wrapped in a
 * {@link CommitRetryingProducer} so that a commit that timed out during a broker outage is
 * retried instead of killing the stream thread. Set as {@code default.client.supplier}.
 */
public final class CommitRetryingClientSupplier implements KafkaClientSupplier {

  private final KafkaClientSupplier streams = new DefaultKafkaClientSupplier();

  @Override
  public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
    Producer<byte[], byte[]> producer = streams.getProducer(config);
    return config.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG) == null ? producer
        : new CommitRetryingProducer(producer);
  }

  @Override
  public Admin getAdmin(Map<String, Object> config) {
    return streams.getAdmin(config);
  }

  @Override
  public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
    return streams.getConsumer(config);
  }

  @Override
  public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
    return streams.getRestoreConsumer(config);
  }

  @Override
  public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
    return streams.getGlobalConsumer(config);
  }
}
