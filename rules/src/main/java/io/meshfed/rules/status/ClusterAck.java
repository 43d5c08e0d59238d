package io.meshfed.rules.status;

/**
 * The latest acknowledgement a cluster's agent sent for a destination.
 *
 * @param cluster the cluster
 * @param generation destination generation of the applied config
 * @param epoch decision epoch of the applied config
 * @param applied true if applied, false if the agent failed (nack)
 * @param message the agent's error text on failure, or null
 * @param restartEpoch the restart epoch of the agent that sent it, or -1 (not reported)
 */
public record ClusterAck(String cluster, long generation, long epoch, boolean applied,
    String message, long restartEpoch) {

  public ClusterAck(String cluster, long generation, long epoch, boolean applied,
      String message) {
    this(cluster, generation, epoch, applied, message, RestartEpochs.UNKNOWN);
  }
}
