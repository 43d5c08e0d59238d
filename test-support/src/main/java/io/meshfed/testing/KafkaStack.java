package io.meshfed.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a real broker started once per test class and stopped after it, whatever
 * the tests did, and optionally a real schema registry: the test JVM's shared one
 * ({@link SharedSchemaRegistry}), which outlives the class.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaStack STACK = KafkaStack.withRegistry();
 * }</pre>
 */
public final class KafkaStack implements BeforeAllCallback, AfterAllCallback {

  private final boolean withRegistry;
  private final EmbeddedKafka.Security security;
  private EmbeddedKafka kafka;
  private EmbeddedSchemaRegistry registry;

  private KafkaStack(boolean withRegistry, EmbeddedKafka.Security security) {
    this.withRegistry = withRegistry;
    this.security = security;
  }

  public static KafkaStack brokerOnly() {
    return new KafkaStack(false, null);
  }

  public static KafkaStack withRegistry() {
    return new KafkaStack(true, null);
  }

  /**
   * The same stack with a secured broker (SASL SCRAM, StandardAuthorizer, no access without an
   * ACL; see {@link EmbeddedKafka.Security}) whose super user gets a new random password.
   */
  public KafkaStack secured() {
    return new KafkaStack(withRegistry, EmbeddedKafka.Security.generated());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    // The registry is a child process that takes seconds to boot: launch it (unless an earlier
    // class did), start the in-process broker meanwhile, then wait for both.
    if (withRegistry) {
      SharedSchemaRegistry.launch();
    }
    kafka = EmbeddedKafka.start(null, 0, security);
    if (withRegistry) {
      registry = SharedSchemaRegistry.get();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    // The shared registry stays up for the next class; the JVM's exit stops it.
    if (kafka != null) {
      kafka.close();
    }
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public EmbeddedSchemaRegistry registry() {
    if (registry == null) {
      throw new IllegalStateException("this KafkaStack was built without a registry");
    }
    return registry;
  }

  public String registryUrl() {
    return registry().confluentApiUrl();
  }
}
