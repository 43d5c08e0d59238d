package io.meshfed.topology.description;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pins the topology: any change to sources, processors, stores or internal topics shows up as a
 * diff of {@code topology-description.txt}, which is reviewed with the change (regenerate with
 * {@code -Dmeshfed.updateTopology=true}). Renaming a store or topic would orphan its state.
 */
class TopologyDescriptionTest {

  private static final Path PINNED = Path.of("src/test/resources/topology-description.txt");

  private static String describe() {
    SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.of("http://unused"));
    TopologyConfig config = TopologyConfig.defaults("unused:9092", registry.config(),
        Set.of("mgmt-cluster"));
    return MeshfedTopology.build(config, registry).describe().toString();
  }

  @Test
  void theTopologyIsThePinnedOne() throws IOException {
    String actual = describe();
    if (Boolean.getBoolean("meshfed.updateTopology")) {
      Files.writeString(PINNED, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(PINNED));
  }

  @Test
  void buildingTwiceGivesTheSameTopology() {
    assertThat(describe()).isEqualTo(describe());
  }

  @Test
  void everyStoreAndInternalTopicIsNamed() {
    // Generated names contain a running number such as KSTREAM-SOURCE-0000000003.
    assertThat(describe()).doesNotContainPattern("-\\d{10}");
  }
}
