package io.meshfed.testing;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import kafka.server.ControllerServer;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.controller.Controller;
import org.apache.kafka.controller.QuorumController;
import org.apache.kafka.controller.StaleBrokerSession;
import org.apache.kafka.server.BrokerLifecycleManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * While a resumed broker starts, ends the session of the incarnation a {@code kill -9} left
 * registered (see {@link StaleBrokerSession}), as soon as the restarted controller is active:
 * the new incarnation's registration is then accepted at its next attempt instead of after
 * Kafka's 9 s broker session. The broker and controller are one node in one process, so the
 * registration of any other incarnation of this node id is certainly dead.
 *
 * <p>Best effort: if Kafka's internals are not as expected (a Kafka upgrade), one line is
 * logged and the start waits out the session as before.
 */
final class StaleSessionExpiry implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StaleSessionExpiry.class);

  private final Thread thread;
  private volatile StaleBrokerSession.Outcome outcome;

  private StaleSessionExpiry(KafkaRaftServer server, int nodeId, Duration within) {
    thread = new Thread(() -> run(server, nodeId, within), "meshfed-stale-broker-session");
    thread.setDaemon(true);
  }

  /** Watches {@code server}'s start, which the caller begins next. */
  static StaleSessionExpiry watch(KafkaRaftServer server, int nodeId, Duration within) {
    StaleSessionExpiry expiry = new StaleSessionExpiry(server, nodeId, within);
    expiry.thread.start();
    return expiry;
  }

  /** What was found, or null while the controller was never seen active. */
  StaleBrokerSession.Outcome outcome() {
    return outcome;
  }

  private void run(KafkaRaftServer server, int nodeId, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    try {
      ControllerServer controllerServer = this.<ControllerServer>component(server, "controller");
      BrokerServer brokerServer = this.<BrokerServer>component(server, "broker");
      while (System.nanoTime() < deadline) {
        // Both are built inside startup(): poll until they exist and the controller has
        // replayed the metadata log and claimed leadership.
        Controller controller = controllerServer.controller();
        BrokerLifecycleManager lifecycle = brokerServer.lifecycleManager();
        if (controller instanceof QuorumController quorum && lifecycle != null
            && quorum.isActive()) {
          Uuid incarnation = incarnation(lifecycle);
          StaleBrokerSession.Outcome found = StaleBrokerSession.expire(quorum, nodeId,
              incarnation).get(30, TimeUnit.SECONDS);
          if (found != StaleBrokerSession.Outcome.NOT_ACTIVE) {
            outcome = found;
            if (found == StaleBrokerSession.Outcome.EXPIRED) {
              LOG.info("ended the session of broker {}'s previous incarnation (left registered"
                  + " by an unclean stop): incarnation {} registers without waiting it out",
                  nodeId, incarnation);
            }
            return;
          }
        }
        Thread.sleep(50); // nothing to be notified by: the controller is Kafka's
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception | LinkageError e) {
      LOG.warn("could not end a previous broker incarnation's session ({}); the start waits"
          + " for it to expire", e.toString());
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T component(KafkaRaftServer server, String name) throws ReflectiveOperationException {
    Field field = KafkaRaftServer.class.getDeclaredField(name);
    field.setAccessible(true);
    return ((Option<T>) field.get(server)).get();
  }

  private static Uuid incarnation(BrokerLifecycleManager lifecycle)
      throws ReflectiveOperationException {
    Field field = BrokerLifecycleManager.class.getDeclaredField("incarnationId");
    field.setAccessible(true);
    return (Uuid) field.get(lifecycle);
  }

  @Override
  public void close() throws InterruptedException {
    thread.interrupt();
    thread.join(TimeUnit.SECONDS.toMillis(5));
  }
}
