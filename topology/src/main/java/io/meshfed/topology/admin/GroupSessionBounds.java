package io.meshfed.topology.admin;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The sessions a broker accepts for a consumer group member: its
 * {@code group.min.session.timeout.ms} and {@code group.max.session.timeout.ms}, asked with one
 * DescribeCluster and one DescribeConfigs on an Admin client the caller already holds (the
 * topology's start, which creates its shared topics with it). Two round trips on a connected
 * client; asked once per start.
 *
 * <p>Why ask at all: a session under the broker's minimum is refused only when the instance
 * joins, on the stream thread ({@code SessionRefusal}); a session longer than needed delays
 * every takeover after a crash. Asking lets meshfed use 2.5 s where the broker allows it (its own
 * broker) and a stock broker's 6 s elsewhere, without a setting.
 *
 * @param min the broker's {@code group.min.session.timeout.ms}
 * @param max the broker's {@code group.max.session.timeout.ms}
 */
public record GroupSessionBounds(Duration min, Duration max) {

  static final String MIN_KEY = "group.min.session.timeout.ms";
  static final String MAX_KEY = "group.max.session.timeout.ms";

  /**
   * The bounds of a broker of the cluster (brokers of one cluster are configured alike; the
   * group coordinator is one of them), or why they could not be read: a principal without
   * DESCRIBE_CONFIGS on the cluster, a broker that does not answer within {@code timeout}.
   */
  public static Answer ask(Admin admin, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      Collection<Node> nodes = admin.describeCluster().nodes()
          .get(left(deadline), TimeUnit.NANOSECONDS);
      if (nodes.isEmpty()) {
        return Answer.unknown("the cluster listed no broker");
      }
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER,
          String.valueOf(nodes.iterator().next().id()));
      Config config = admin.describeConfigs(List.of(broker)).values().get(broker)
          .get(left(deadline), TimeUnit.NANOSECONDS);
      Optional<Duration> min = millis(config.get(MIN_KEY));
      Optional<Duration> max = millis(config.get(MAX_KEY));
      if (min.isEmpty() || max.isEmpty()) {
        return Answer.unknown("the broker did not report " + MIN_KEY + " and " + MAX_KEY);
      }
      return new Answer(Optional.of(new GroupSessionBounds(min.get(), max.get())), null);
    } catch (ExecutionException e) {
      return Answer.unknown(e.getCause().getClass().getSimpleName() + ": "
          + e.getCause().getMessage());
    } catch (TimeoutException e) {
      return Answer.unknown("no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Answer.unknown("interrupted");
    }
  }

  /** The bounds, or (empty) the one-line reason they are not known. */
  public record Answer(Optional<GroupSessionBounds> bounds, String whyUnknown) {
    static Answer unknown(String why) {
      return new Answer(Optional.empty(), why);
    }
  }

  private static long left(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  private static Optional<Duration> millis(ConfigEntry entry) {
    if (entry == null || entry.value() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Duration.ofMillis(Long.parseLong(entry.value().trim())));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
