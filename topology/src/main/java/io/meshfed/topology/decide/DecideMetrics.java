package io.meshfed.topology.decide;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.metrics.stats.WindowedSum;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * What the decide stage spends its time on, as Streams metrics (group
 * {@code stream-meshfed-decide-metrics}, tagged with the task; exported by the query API's
 * {@code /metrics} with the rest of Streams' metrics): why destinations were marked for
 * evaluation, how many evaluations ran and how many client decisions they made. The cost of the
 * stage is evaluations × clients, so a rate of evaluations far above the rate of inputs that can
 * change a decision says where to look (a heartbeat waking every destination, a sweep, timers).
 */
final class DecideMetrics {

  static final String SCOPE = "meshfed-decide";
  static final String GROUP = "stream-" + SCOPE + "-metrics";

  /** Why a destination was marked dirty. */
  enum Cause {
    MEMBER, ACK, HEARTBEAT, SPEC, POLICY, WAKEUP, SWEEP, STALENESS;

    final String operation = "dirty-" + name().toLowerCase(Locale.ROOT);
  }

  private final Map<Cause, Sensor> marked = new EnumMap<>(Cause.class);
  private final Sensor evaluations;
  private final Sensor decisions;
  private final Sensor slices;
  private final Sensor burstHolds;

  DecideMetrics(StreamsMetrics metrics, String taskId) {
    for (Cause cause : Cause.values()) {
      marked.put(cause, sensor(metrics, taskId, cause.operation));
    }
    evaluations = sensor(metrics, taskId, "evaluations");
    decisions = sensor(metrics, taskId, "decisions");
    slices = sensor(metrics, taskId, "evaluation-slices-cut");
    burstHolds = sensor(metrics, taskId, "burst-holds");
  }

  /**
   * A sensor whose recorded values are summed ({@code addRateTotalSensor} counts calls, and a
   * heartbeat marks thousands of destinations in one call).
   */
  private static Sensor sensor(StreamsMetrics metrics, String taskId, String operation) {
    Sensor sensor = metrics.addSensor(SCOPE + "." + taskId + "." + operation,
        Sensor.RecordingLevel.INFO);
    Map<String, String> tags = Map.of("task-id", taskId);
    sensor.add(new MetricName(operation + "-total", GROUP, "total " + operation, tags),
        new CumulativeSum());
    sensor.add(new MetricName(operation + "-rate", GROUP, operation + " per second", tags),
        new Rate(new WindowedSum()));
    return sensor;
  }

  void marked(Cause cause, int destinations) {
    if (destinations > 0) {
      marked.get(cause).record(destinations);
    }
  }

  void evaluated(int decisionsMade) {
    evaluations.record();
    if (decisionsMade > 0) {
      decisions.record(decisionsMade);
    }
  }

  /** A round of evaluation stopped at its time slice, leaving destinations dirty. */
  void sliced() {
    slices.record(1);
  }

  /** Evaluation began to be held back for a burst ({@link BurstHold}). */
  void burstHoldBegun() {
    burstHolds.record(1);
  }

  /** Removes the sensors when the task's processor closes (a task moving away). */
  void close(StreamsMetrics metrics) {
    marked.values().forEach(metrics::removeSensor);
    metrics.removeSensor(evaluations);
    metrics.removeSensor(decisions);
    metrics.removeSensor(slices);
    metrics.removeSensor(burstHolds);
  }
}
