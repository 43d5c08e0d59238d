package io.meshfed.connectors.testing;

import java.util.Collection;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * A source task's context whose offset store returns one committed offset for every
 * partition, as Connect would after a restart: what a task reads back on start.
 */
public final class CommittedOffsetContext implements SourceTaskContext {

  private final Map<String, Object> committed;

  public CommittedOffsetContext(Map<String, Object> committed) {
    this.committed = Map.copyOf(committed);
  }

  @Override
  public Map<String, String> configs() {
    return Map.of();
  }

  @Override
  public PluginMetrics pluginMetrics() {
    throw new UnsupportedOperationException();
  }

  @Override
  public OffsetStorageReader offsetStorageReader() {
    return new OffsetStorageReader() {
      @Override
      public <T> Map<String, Object> offset(Map<String, T> partition) {
        return committed;
      }

      @Override
      public <T> Map<Map<String, T>, Map<String, Object>> offsets(
          Collection<Map<String, T>> partitions) {
        throw new UnsupportedOperationException();
      }
    };
  }
}
