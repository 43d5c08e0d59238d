package io.meshfed.topology;

import io.meshfed.testing.EmbeddedSchemaRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Lifecycle of the TopologyTestDriver tests: one real registry per test class, a fresh
 * topology (fresh state) per test.
 */
public abstract class DriverTestBase {

  private static EmbeddedSchemaRegistry registry;
  protected TopologyHarness t;

  @BeforeAll
  static void startRegistry() {
    registry = EmbeddedSchemaRegistry.start();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  /** The class's registry, for a test that builds a harness of its own. */
  protected static String registryUrl() {
    return registry.confluentApiUrl();
  }

  @BeforeEach
  void startTopology() throws Exception {
    t = new TopologyHarness(registry.confluentApiUrl());
  }

  @AfterEach
  void stopTopology() {
    t.close();
  }
}
