package io.meshfed.topology.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topology.config.CrashDetection;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The broker's session bounds as a real broker reports them, and what the topology agrees. */
class GroupSessionBoundsTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.brokerOnly();

  @Test
  void meshfedsOwnBrokerReportsItsLoweredMinimumAndTheTopologyTakesTwoAndAHalfSeconds() {
    try (Admin admin = STACK.kafka().admin()) {
      GroupSessionBounds.Answer answer = GroupSessionBounds.ask(admin, Duration.ofSeconds(10));
      assertThat(answer.whyUnknown()).isNull();
      // The minimum meshfed's broker sets; the maximum is the stock one, never touched.
      assertThat(answer.bounds()).contains(new GroupSessionBounds(
          Duration.ofMillis(EmbeddedKafka.MIN_SESSION_TIMEOUT_MS), Duration.ofMinutes(30)));
      GroupSessionBounds b = answer.bounds().orElseThrow();
      assertThat(CrashDetection.DEFAULT.forBroker(b.min(), b.max()))
          .isEqualTo(new CrashDetection(Duration.ofMillis(2500), Duration.ofMillis(500)));
    }
  }

  @Test
  void aBrokerThatDoesNotAnswerLeavesTheBoundsUnknownWithTheReason() {
    // A port nothing listens on: the Admin client retries until the deadline.
    java.util.Map<String, Object> settings = java.util.Map.of("bootstrap.servers",
        "127.0.0.1:" + io.meshfed.testing.FreePorts.one(), "request.timeout.ms", 500,
        "default.api.timeout.ms", 1000);
    try (Admin admin = Admin.create(settings)) {
      GroupSessionBounds.Answer answer = GroupSessionBounds.ask(admin, Duration.ofMillis(800));
      assertThat(answer.bounds()).isEmpty();
      assertThat(answer.whyUnknown()).isNotBlank().hasSizeLessThan(300);
    }
  }
}
