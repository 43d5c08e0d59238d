package io.meshfed.topology;

import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.testing.SharedSchemaRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Lifecycle of the TopologyTestDriver tests: a real registry (the test JVM's shared one), a
 * fresh topology (fresh state) per test.
 */
public abstract class DriverTestBase {

  protected TopologyHarness t;

  /** The registry, for a test that builds a harness of its own. */
  protected static String registryUrl() {
    return SharedSchemaRegistry.get().confluentApiUrl();
  }

  @BeforeEach
  void startTopology() throws Exception {
    EmbeddedSchemaRegistry registry = SharedSchemaRegistry.get();
    t = new TopologyHarness(registry.confluentApiUrl());
  }

  @AfterEach
  void stopTopology() {
    t.close();
  }
}
