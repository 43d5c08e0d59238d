package org.apache.kafka.controller;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.BrokerRegistration;

/**
 * Ends the controller's session for a broker incarnation that is known to be dead: the one a
 * {@code kill -9} left registered, unfenced, in the metadata log of meshfed's single-node KRaft
 * broker. Without this, the restarted controller gives that registration a fresh session on
 * activation and refuses the new incarnation ({@code DUPLICATE_BROKER_REGISTRATION}) until the
 * session expires ({@code broker.session.timeout.ms}, 9 s) — the largest single wait of a
 * restart after {@code kill -9} (issue #20). It does what that expiry would do, at once: the
 * dead incarnation's last contact is moved back beyond the session timeout, so the
 * registration that follows is accepted and the periodic check fences the old epoch as usual.
 *
 * <p>In Kafka's package because it uses the controller's package-private state (Kafka 4.3.1:
 * {@code QuorumController.clusterControl()}, {@code ClusterControlManager.heartbeatManager()},
 * {@code BrokerHeartbeatTracker.updateContactTime}); it runs as a controller event, so it
 * reads and changes that state on the controller's own thread, as Kafka does. A change of that
 * internal API breaks the build of test-support, not a running broker.
 */
public final class StaleBrokerSession {

  /** What {@link #expire} found. */
  public enum Outcome {
    /** The controller is not active yet (or no longer): nothing read, try again. */
    NOT_ACTIVE,
    /** The registration is the given incarnation's own: nothing to do. */
    CURRENT,
    /** No registration, or one without a live session (fenced, or already expired). */
    NONE,
    /** Another incarnation's live session was ended. */
    EXPIRED
  }

  private StaleBrokerSession() {}

  /**
   * Ends the session of broker {@code brokerId}'s registration if it belongs to an incarnation
   * other than {@code liveIncarnation} (the broker starting in this process, which cannot have
   * two incarnations).
   */
  public static CompletableFuture<Outcome> expire(QuorumController controller, int brokerId,
      Uuid liveIncarnation) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    controller.appendControlEvent("meshfedExpireStaleBrokerSession", () -> {
      try {
        result.complete(expireOnControllerThread(controller, brokerId, liveIncarnation));
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  private static Outcome expireOnControllerThread(QuorumController controller, int brokerId,
      Uuid liveIncarnation) {
    ClusterControlManager cluster = controller.clusterControl();
    BrokerHeartbeatManager heartbeats = cluster.heartbeatManager();
    if (!controller.isActive() || heartbeats == null) {
      return Outcome.NOT_ACTIVE;
    }
    BrokerRegistration registration = cluster.registration(brokerId);
    if (registration == null) {
      return Outcome.NONE;
    }
    if (registration.incarnationId().equals(liveIncarnation)) {
      return Outcome.CURRENT;
    }
    if (!heartbeats.hasValidSession(brokerId, registration.epoch())) {
      return Outcome.NONE;
    }
    // One day back: beyond any session timeout, far from nanoTime's wrap-around.
    heartbeats.tracker().updateContactTime(new BrokerIdAndEpoch(brokerId, registration.epoch()),
        heartbeats.time().nanoseconds() - TimeUnit.DAYS.toNanos(1));
    return Outcome.EXPIRED;
  }
}
