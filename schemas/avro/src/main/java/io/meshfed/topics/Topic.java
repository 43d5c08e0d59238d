package io.meshfed.topics;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A concrete Kafka topic with the serdes of its keys and values. Immutable.
 *
 * @param name the topic name
 * @param keySerde serde of the keys
 * @param valueSerde serde of the values
 * @param settings partitions and topic configs
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde,
    TopicSettings settings) {

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    Objects.requireNonNull(settings, "settings");
  }

  public byte[] serializeKey(K key) {
    return keySerde.serializer().serialize(name, key);
  }

  public byte[] serializeValue(V value) {
    return valueSerde.serializer().serialize(name, value);
  }

  public K deserializeKey(byte[] bytes) {
    return keySerde.deserializer().deserialize(name, bytes);
  }

  public V deserializeValue(byte[] bytes) {
    return valueSerde.deserializer().deserialize(name, bytes);
  }
}
