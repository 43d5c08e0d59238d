package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;

/**
 * An endpoint of a member, with its health already resolved.
 *
 * @param address IP or hostname
 * @param port port on the endpoint traffic goes to
 * @param health resolved health
 * @param zone zone or null
 * @param region region or null
 */
public record EndpointInput(String address, int port, EndpointHealth health, String zone,
    String region) {}
