package io.meshfed.rules.status;

/**
 * The latest acknowledgement a cluster's agent sent for a destination.
 *
 * @param cluster the cluster
 * @param generation destination generation of the applied config
 * @param epoch decision epoch of the applied config
 * @param applied true if applied, false if the agent failed (nack)
 * @param message the agent's error text on failure, or null
 */
public record ClusterAck(String cluster, long generation, long epoch, boolean applied,
    String message) {}
