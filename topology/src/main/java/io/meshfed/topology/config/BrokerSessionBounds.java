package io.meshfed.topology.config;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the session timeout against the broker's bounds before the topology starts. A broker
 * refuses a session outside {@code group.min/max.session.timeout.ms} only when the member joins,
 * and Streams turns that into a stream thread that dies and is replaced forever; here it is one
 * line naming the key and both ways out. A broker that will not say (no DescribeConfigs
 * permission, slow to answer) is not a reason to stop: the check is skipped with a log line.
 */
public final class BrokerSessionBounds {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerSessionBounds.class);
  static final String MIN = "group.min.session.timeout.ms";
  static final String MAX = "group.max.session.timeout.ms";
  private static final Duration ASK_WITHIN = Duration.ofSeconds(10);

  private BrokerSessionBounds() {}

  /** Throws {@link IllegalArgumentException} if the broker would refuse the configured session. */
  public static void check(TopologyConfig config) {
    Map<String, Object> settings = new HashMap<>(config.kafkaClient());
    settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    Map<String, String> bounds;
    long started = System.nanoTime();
    try (Admin admin = Admin.create(settings)) {
      bounds = ask(admin);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      LOG.info("broker session bounds not checked ({}); a session outside them fails at join",
          e.getCause() != null ? e.getCause() : e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    require(config.crashDetection().sessionTimeout(), bounds);
    LOG.info("group session {} ms within the broker's {} (checked in {} ms)",
        config.crashDetection().sessionTimeout().toMillis(), bounds,
        (System.nanoTime() - started) / 1_000_000);
  }

  private static Map<String, String> ask(Admin admin)
      throws ExecutionException, TimeoutException, InterruptedException {
    Collection<Node> nodes = admin.describeCluster().nodes()
        .get(ASK_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
    // The group coordinator may be any broker; brokers of one cluster share these settings.
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER,
        String.valueOf(nodes.iterator().next().id()));
    Config config = admin.describeConfigs(List.of(broker)).all()
        .get(ASK_WITHIN.toMillis(), TimeUnit.MILLISECONDS).get(broker);
    Map<String, String> out = new HashMap<>();
    for (String key : List.of(MIN, MAX)) {
      ConfigEntry entry = config.get(key);
      if (entry != null && entry.value() != null) {
        out.put(key, entry.value());
      }
    }
    return out;
  }

  /** The rule alone, for the test: the session must lie within what the broker admits. */
  static void require(Duration session, Map<String, String> bounds) {
    long ms = session.toMillis();
    String min = bounds.get(MIN);
    if (min != null && ms < Long.parseLong(min)) {
      throw new IllegalArgumentException("config key '" + CrashDetection.SESSION_KEY + "': "
          + ms + " is under the broker's " + MIN + " (" + min + "); set it to " + min
          + " or more (decisions then pause that long after a crash), or lower the broker's "
          + MIN);
    }
    String max = bounds.get(MAX);
    if (max != null && ms > Long.parseLong(max)) {
      throw new IllegalArgumentException("config key '" + CrashDetection.SESSION_KEY + "': "
          + ms + " is over the broker's " + MAX + " (" + max + ")");
    }
  }
}
